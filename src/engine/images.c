/* images.c - local images from host programs (see images.h). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dive/errcodes.h"
#include "dive/error.h"
#include "dive/hostfiles.h"
#include "dive/images.h"
#include "dive/sha256.h"
#include "dive/tar.h"
#include "dive/xalloc.h"

#define IMAGE_CONTEXT_MAX ((size_t)1536 << 20)
#define LDD_MAX_LIBS 256

struct image_ctx {
	struct tar *t;
	struct sha256 *h;          /* the recipe hash, fed with every input */
	const char *source_dir;
	const char *name;           /* the recipe, for messages and images/<name>/ */
	const char *image;          /* its local image name, for messages */
	char libs[LDD_MAX_LIBS][PATH_MAX];
	int nlibs;
	char skip_under[PATH_MAX];  /* a host tree copied whole (the JDK) */
};

struct image_recipe {
	const char *name;
	const char *local;
	const char *const *production;   /* repository names it stands for */
	int (*collect)(struct image_ctx *c);
	const char *dockerfile;
};

/* --- collecting host files ------------------------------------------------------ */

static void hash_input(struct image_ctx *c, const char *what, const char *path)
{
	struct stat st;
	char line[PATH_MAX + 64];

	if (stat(path, &st) == 0)
		snprintf(line, sizeof(line), "%s %s %lld %lld\n", what, path, (long long)st.st_size,
			 (long long)st.st_mtime);
	else
		snprintf(line, sizeof(line), "%s %s missing\n", what, path);
	sha256_update(c->h, line, strlen(line));
}

/* name inside the image for a host path: "/usr/lib/x" -> "rootfs/usr/lib/x" */
static char *rootfs_name(const char *path)
{
	while (*path == '/')
		path++;
	return xasprintf("rootfs/%s", path);
}

/* A host file, symlinks resolved, at the same path in the image. */
static int add_file_as(struct image_ctx *c, const char *host, const char *dest)
{
	char real[PATH_MAX], *name;
	int rc;

	if (!realpath(host, real))
		return dive_error_set(DIVE_EUSAGE, "image '%s' needs '%s', which is missing", c->image, host);
	name = rootfs_name(dest);
	rc = tar_add_path(c->t, name, real);
	free(name);
	hash_input(c, "file", real);
	return rc;
}

/* The shared libraries ldd says path loads, each once. */
static int add_libs(struct image_ctx *c, const char *path)
{
	char cmd[PATH_MAX + 32], line[PATH_MAX + 128];
	FILE *p;
	int rc = 0, n = 0;

	if (strchr(path, '\'') || strlen(path) >= PATH_MAX)
		return dive_error_set(DIVE_EUSAGE, "unusable program path '%.100s'", path);
	snprintf(cmd, sizeof(cmd), "ldd '%s' 2>/dev/null", path);
	p = popen(cmd, "r");
	if (!p)
		return dive_error_set(DIVE_EFAIL, "cannot run ldd: %s", strerror(errno));
	while (rc == 0 && fgets(line, sizeof(line), p) && n++ < 512) {
		char *lib = strstr(line, "=> /"), *end;
		int i, seen = 0;

		if (lib)
			lib += 3;
		else if ((lib = strchr(line, '/')) == NULL)
			continue;
		end = strchr(lib, ' ');
		if (!end)
			end = strchr(lib, '\n');
		if (!end)
			continue;
		*end = '\0';
		for (i = 0; i < c->nlibs; i++)
			seen |= !strcmp(c->libs[i], lib);
		if (seen)
			continue;
		if (c->nlibs == LDD_MAX_LIBS) {
			rc = dive_error_set(DIVE_ETOOBIG, "more than %d libraries", LDD_MAX_LIBS);
			break;
		}
		snprintf(c->libs[c->nlibs++], PATH_MAX, "%s", lib);
		if (strstr(lib, "/../") || strstr(lib, "/./")) {
			/* found through $ORIGIN: inside a tree the image carries whole, or at its real place */
			char real[PATH_MAX];

			if (!realpath(lib, real))
				continue;
			if (c->skip_under[0] && !strncmp(real, c->skip_under, strlen(c->skip_under)))
				continue;
			rc = add_file_as(c, real, real);
		} else {
			rc = add_file_as(c, lib, lib);
		}
	}
	pclose(p);
	return rc;
}

static int add_program(struct image_ctx *c, const char *host, const char *dest)
{
	int rc = add_file_as(c, host, dest);

	return rc < 0 ? rc : add_libs(c, host);
}

/* images/<name>/{entry,health} as /dive/entry and /dive/health. */
static int add_scripts(struct image_ctx *c, const char *name)
{
	static const char *const files[] = { "entry", "health" };
	size_t i;
	int rc = 0;

	for (i = 0; i < 2 && rc == 0; i++) {
		char *host = xasprintf("%s/images/%s/%s", c->source_dir, name, files[i]);
		char *dest = xasprintf("rootfs/dive/%s", files[i]);

		rc = tar_add_path(c->t, dest, host);
		hash_input(c, "script", host);
		free(host);
		free(dest);
	}
	return rc;
}

static int add_passwd(struct image_ctx *c)
{
	static const char passwd[] = "root:x:0:0:root:/root:/bin/sh\n"
				     "postgres:x:999:999:postgres:/var/lib/postgresql:/bin/sh\n"
				     "dive:x:1000:1000:dive:/home/dive:/bin/sh\n"
				     "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n";
	static const char group[] = "root:x:0:\npostgres:x:999:\ndive:x:1000:\nnogroup:x:65534:\n";
	int rc = tar_add_file(c->t, "rootfs/etc/passwd", passwd, sizeof(passwd) - 1, 0644);

	sha256_update(c->h, passwd, sizeof(passwd) - 1);
	return rc < 0 ? rc : tar_add_file(c->t, "rootfs/etc/group", group, sizeof(group) - 1, 0644);
}

static const char *need_env(const char *var, const char *image)
{
	const char *v = getenv(var);

	if (!v || !*v) {
		dive_error_set(DIVE_EUSAGE, "image '%s' needs %s (tests/env/up builds it and writes it to "
					    "tests/env/.env)", image, var);
		dive_error_set_code(ERRC_IMAGE_MISSING);
		return NULL;
	}
	return v;
}

/* --- what each kind of host file brings -------------------------------------------- */

/* busybox, and a link in /bin for every applet it has */
static int add_busybox(struct image_ctx *c, const char *host, const char *dest)
{
	char applet[64], cmd[PATH_MAX + 32];
	FILE *p;
	int rc, n = 0;

	if ((rc = add_file_as(c, host, dest)) < 0)
		return rc;
	snprintf(cmd, sizeof(cmd), "'%s' --list 2>/dev/null", host);
	p = popen(cmd, "r");
	if (!p)
		return dive_error_set(DIVE_EFAIL, "cannot list busybox applets");
	while (rc == 0 && n++ < 1024 && fgets(applet, sizeof(applet), p)) {
		char *name;

		applet[strcspn(applet, "\n")] = '\0';
		if (!applet[0] || strchr(applet, '/') || !strcmp(applet, "busybox"))
			continue;
		name = xasprintf("rootfs/bin/%s", applet);
		rc = tar_add_symlink(c->t, name, "busybox");
		sha256_update(c->h, applet, strlen(applet));
		free(name);
	}
	pclose(p);
	return rc;
}

static int add_tree(struct image_ctx *c, const char *host, const char *dest)
{
	char *prefix = rootfs_name(dest);
	int rc;

	if (access(host, R_OK | X_OK) < 0) {
		free(prefix);
		return dive_error_set(DIVE_EUSAGE, "image '%s' needs the directory '%s', which is missing", c->image,
				      host);
	}
	rc = tar_add_tree(c->t, prefix, host);
	hash_input(c, "tree", host);
	free(prefix);
	return rc;
}

/* A Java home: the tree, its trust store (a link out of the tree on Debian), the JVM's libraries. */
static int add_jdk(struct image_ctx *c, const char *java, const char *dest)
{
	static const char *const loaded[] = { "bin/java", "lib/server/libjvm.so", "lib/libnet.so", "lib/libnio.so" };
	char target[PATH_MAX], *p;
	ssize_t n;
	size_t i;
	int rc = add_tree(c, java, dest);

	if (rc < 0)
		return rc;
	if (!realpath(java, c->skip_under))
		c->skip_under[0] = '\0';
	p = xasprintf("%s/lib/security/cacerts", java);
	n = readlink(p, target, sizeof(target) - 1);
	free(p);
	if (n > 0 && target[0] == '/') {
		target[n] = '\0';
		if ((rc = add_file_as(c, target, target)) < 0)
			return rc;
	}
	for (i = 0; i < sizeof(loaded) / sizeof(loaded[0]) && rc == 0; i++) {
		p = xasprintf("%s/%s", java, loaded[i]);
		rc = add_libs(c, p);
		free(p);
	}
	return rc;
}

/* Every entry of images/<name>/host-files, then the scripts (images without a service have none). */
static int collect_host_files(struct image_ctx *c, int scripts)
{
	struct hostfiles hf;
	size_t i;
	int rc = hostfiles_load(&hf, c->source_dir, c->name);

	for (i = 0; rc == 0 && i < hf.n; i++) {
		const struct hostfile *f = &hf.v[i];
		const char *host = f->path, *var = hostfile_env(f);

		if (var && !(host = need_env(var, c->name)))
			rc = DIVE_EUSAGE;
		else if (f->kind == HOSTFILE_BUSYBOX)
			rc = add_busybox(c, host, f->dest);
		else if (f->kind == HOSTFILE_PROGRAM)
			rc = add_program(c, host, f->dest);
		else if (f->kind == HOSTFILE_FILE)
			rc = add_file_as(c, host, f->dest);
		else if (f->kind == HOSTFILE_TREE)
			rc = add_tree(c, host, f->dest);
		else
			rc = add_jdk(c, host, f->dest);
		if (rc < 0 && hostfile_package(f) && !strstr(dive_error_last(), "install")) {
			char msg[400];

			snprintf(msg, sizeof(msg), "%s", dive_error_last());
			rc = dive_error_set(rc, "%s (Debian package '%s': tests/env/up installs it)", msg,
					    hostfile_package(f));
		}
	}
	hostfiles_release(&hf);
	if (rc == 0)
		rc = add_passwd(c);
	return rc < 0 || !scripts ? rc : add_scripts(c, c->name);
}

static int collect_base(struct image_ctx *c)
{
	int rc = collect_host_files(c, 0);

	return rc < 0 ? rc : tar_add_dir(c->t, "rootfs/tmp", 01777);
}

static int collect_service(struct image_ctx *c)
{
	return collect_host_files(c, 1);
}

static const char dockerfile_scratch[] = "FROM scratch\nCOPY rootfs/ /\nCMD [\"/bin/sh\"]\n";
static const char dockerfile_service[] =
	"FROM dive/base:local\nCOPY rootfs/ /\nENTRYPOINT [\"/dive/entry\"]\n";
/*
 * Keycloak as in production: the build step (Quarkus augmentation) done
 * once here, with the build-time options the stacks use, so every start is
 * `kc.sh start --optimized` (no re-augmentation, no dev mode).
 */
static const char dockerfile_keycloak[] =
	"FROM dive/base:local\nCOPY rootfs/ /\n"
	"ENV JAVA_HOME=/opt/java PATH=/opt/java/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n"
	"RUN /opt/keycloak/bin/kc.sh build --db=postgres --health-enabled=true --metrics-enabled=true\n"
	"ENTRYPOINT [\"/dive/entry\"]\n";

static const char *const prod_postgres[] = { "postgres", "docker.io/library/postgres", NULL };
static const char *const prod_redis[] = { "redis", "docker.io/library/redis", NULL };
static const char *const prod_mongodb[] = { "mongo", "docker.io/library/mongo", "mongodb/mongodb-community-server",
					    NULL };
static const char *const prod_opa[] = { "openpolicyagent/opa", NULL };
static const char *const prod_keycloak[] = { "quay.io/keycloak/keycloak", "keycloak/keycloak", "dive-v3/keycloak",
					     NULL };
static const char *const prod_standin[] = { "dive-v3/backend", "dive-v3/frontend", "dive-v3/kas",
					    "dive-v3/opal-client", "dive-v3/opal-server", "permitio/opal-client",
					    "permitio/opal-server", NULL };
static const char *const prod_none[] = { NULL };

static const struct image_recipe recipes[] = {
	{ "base", "dive/base:local", prod_none, collect_base, dockerfile_scratch },
	{ "postgres", "dive/postgres:local", prod_postgres, collect_service, dockerfile_service },
	{ "redis", "dive/redis:local", prod_redis, collect_service, dockerfile_service },
	{ "mongodb", "dive/mongodb:local", prod_mongodb, collect_service, dockerfile_service },
	{ "opa", "dive/opa:local", prod_opa, collect_service, dockerfile_service },
	{ "keycloak", "dive/keycloak:local", prod_keycloak, collect_service, dockerfile_keycloak },
	{ "standin", "dive/standin:local", prod_standin, NULL, NULL },
};

#define NRECIPES (sizeof(recipes) / sizeof(recipes[0]))

size_t images_count(void)
{
	return NRECIPES;
}

const char *images_name(size_t i)
{
	return i < NRECIPES ? recipes[i].name : NULL;
}

int images_from_host(size_t i)
{
	return i < NRECIPES && recipes[i].collect != NULL;
}

const char *images_local(size_t i)
{
	return i < NRECIPES ? recipes[i].local : NULL;
}

const char *images_map(const char *production)
{
	size_t i, j, len;
	const char *colon;

	if (!strncmp(production, "dive/", 5))
		return production;
	colon = strrchr(production, ':');
	if (colon && strchr(colon, '/'))
		colon = NULL; /* a registry port, not a tag */
	len = colon ? (size_t)(colon - production) : strlen(production);
	for (i = 0; i < NRECIPES; i++)
		for (j = 0; recipes[i].production[j]; j++)
			if (strlen(recipes[i].production[j]) == len && !strncmp(recipes[i].production[j], production, len))
				return recipes[i].local;
	return NULL;
}

/* --- building ------------------------------------------------------------------- */

static int existing_hash(struct docker *d, const char *local, char *out, size_t n)
{
	cJSON *img = NULL, *labels, *h;
	int rc = docker_image_inspect(d, &img, local);

	out[0] = '\0';
	if (rc == DIVE_ENOTFOUND) {
		dive_error_clear();
		return 0;
	}
	if (rc < 0)
		return rc;
	labels = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(img, "Config"), "Labels");
	h = cJSON_GetObjectItemCaseSensitive(labels, "dive.recipe-hash");
	if (cJSON_IsString(h))
		snprintf(out, n, "%s", h->valuestring);
	cJSON_Delete(img);
	return 0;
}

static int build_one(struct docker *d, const struct image_recipe *r, const char *source_dir, int dry_run,
		     void (*log)(void *arg, const char *line), void *arg, struct images_report *rep)
{
	struct image_ctx *c = xcalloc(1, sizeof(*c));
	struct docker_build_opts bo = { 0 };
	struct sha256 h;
	struct tar t;
	unsigned char digest[32];
	char hex[65], have[80], line[256];
	cJSON *labels = NULL;
	char *id = NULL;
	int rc, i;
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	memset(rep, 0, sizeof(*rep));
	rep->name = r->name;
	if (!r->collect) {
		/* a build context kept in the repository: images/<name>/ */
		char *dir = xasprintf("%s/images/%s", source_dir, r->name);

		if (dry_run) {
			snprintf(line, sizeof(line), "would build %s from %s", r->local, dir);
			if (log)
				log(arg, line);
			free(dir);
			free(c);
			return 0;
		}
		rc = docker_image_build_dir(d, &id, r->local, dir, &bo);
		free(dir);
		rep->built = rc == 0;
		goto done;
	}
	tar_init(&t, IMAGE_CONTEXT_MAX);
	sha256_init(&h);
	sha256_update(&h, r->name, strlen(r->name));
	sha256_update(&h, r->dockerfile, strlen(r->dockerfile));
	c->t = &t;
	c->h = &h;
	c->source_dir = source_dir;
	c->name = r->name;
	c->image = r->local;
	if (r->dockerfile != dockerfile_scratch) {
		/* built on the base: a new base means a new image */
		cJSON *base = NULL;

		if (docker_image_inspect(d, &base, "dive/base:local") == 0) {
			const char *bid = cJSON_GetStringValue(cJSON_GetObjectItem(base, "Id"));

			if (bid)
				sha256_update(&h, bid, strlen(bid));
		}
		cJSON_Delete(base);
		dive_error_clear();
	}
	rc = tar_add_file(&t, "Dockerfile", r->dockerfile, strlen(r->dockerfile), 0644);
	if (rc == 0)
		rc = r->collect(c);
	if (rc == 0)
		rc = tar_finish(&t);
	if (rc < 0)
		goto out;
	sha256_final(&h, digest);
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", digest[i]);
	if ((rc = existing_hash(d, r->local, have, sizeof(have))) < 0)
		goto out;
	if (!strcmp(have, hex)) {
		snprintf(line, sizeof(line), "%s is up to date", r->local);
		if (log)
			log(arg, line);
		goto out;
	}
	snprintf(line, sizeof(line), "%s %s (%.1f MiB context)", dry_run ? "would build" : "building", r->local,
		 t.out.len / 1048576.0);
	if (log)
		log(arg, line);
	if (dry_run)
		goto out;
	labels = cJSON_CreateObject();
	cJSON_AddStringToObject(labels, "dive.recipe-hash", hex);
	cJSON_AddStringToObject(labels, "dive.image", r->name);
	bo.labels = labels;
	bo.timeout_ms = 15 * 60 * 1000;
	rc = docker_image_build(d, &id, r->local, t.out.ptr, t.out.len, &bo);
	rep->built = rc == 0;
out:
	tar_release(&t);
done:
	if (id)
		snprintf(rep->id, sizeof(rep->id), "%s", id);
	free(id);
	cJSON_Delete(labels);
	free(c);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	rep->ms = (t1.tv_sec - t0.tv_sec) * 1000LL + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	return rc;
}

int images_build(struct docker *d, const char *const *names, size_t nnames, const char *source_dir, int dry_run,
		 void (*log)(void *arg, const char *line), void *arg, struct images_report *out, size_t *nout)
{
	size_t i, j;
	int rc = 0;

	*nout = 0;
	for (j = 0; j < nnames; j++) {
		for (i = 0; i < NRECIPES; i++)
			if (!strcmp(names[j], recipes[i].name))
				break;
		if (i == NRECIPES)
			return dive_error_set(DIVE_EUSAGE, "no image named '%.32s' (dive images list)", names[j]);
	}
	for (i = 0; i < NRECIPES && rc == 0; i++) {
		int wanted = nnames == 0;

		for (j = 0; j < nnames; j++)
			wanted |= !strcmp(names[j], recipes[i].name);
		if (!wanted)
			continue;
		rc = build_one(d, &recipes[i], source_dir, dry_run, log, arg, &out[*nout]);
		if (rc < 0) {
			char msg[400];

			snprintf(msg, sizeof(msg), "%s", dive_error_last());
			rc = dive_error_set(rc, "cannot build '%s': %s", recipes[i].local, msg);
			dive_error_set_code(ERRC_IMAGE_MISSING);
		}
		(*nout)++;
	}
	return rc;
}
