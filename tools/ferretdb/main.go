// Command ferretdb is a minimal launcher for the embeddable FerretDB package,
// used by tests/env/up to provide a MongoDB-wire-compatible server for tests.
//
// Upstream's own command cannot be built with a plain `go install` (it needs
// generated version files), so we embed the public package
// github.com/FerretDB/FerretDB/ferretdb instead.
//
// Usage:
//
//	ferretdb -listen-addr 127.0.0.1:57017 -handler sqlite -sqlite-url file:/path/to/dir/
//	ferretdb -listen-addr 127.0.0.1:57017 -handler postgresql -postgresql-url postgres://...
//
// The process stops cleanly on SIGTERM or SIGINT.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listenAddr := flag.String("listen-addr", "127.0.0.1:57017", "TCP address to listen on")
	handler := flag.String("handler", "sqlite", "backend handler: sqlite or postgresql")
	sqliteURL := flag.String("sqlite-url", "file:data/", "SQLite URI (an existing directory, trailing slash)")
	postgresqlURL := flag.String("postgresql-url", "", "PostgreSQL URL for the postgresql handler")
	debug := flag.Bool("debug", false, "log at debug level")
	flag.Parse()

	level := slog.LevelInfo
	if *debug {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	slog.SetDefault(logger)

	cfg := &ferretdb.Config{
		Listener: ferretdb.ListenerConfig{TCP: *listenAddr},
		Logger:   logger,
		Handler:  *handler,
	}
	switch *handler {
	case "sqlite":
		cfg.SQLiteURL = *sqliteURL
	case "postgresql":
		if *postgresqlURL == "" {
			fmt.Fprintln(os.Stderr, "ferretdb: -postgresql-url is required with -handler postgresql")
			os.Exit(2)
		}
		cfg.PostgreSQLURL = *postgresqlURL
	default:
		fmt.Fprintf(os.Stderr, "ferretdb: unknown handler %q (want sqlite or postgresql)\n", *handler)
		os.Exit(2)
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	f, err := ferretdb.New(cfg)
	if err != nil {
		fmt.Fprintf(os.Stderr, "ferretdb: %v\n", err)
		os.Exit(1)
	}

	logger.Info("ferretdb: listening", "addr", *listenAddr, "handler", *handler, "uri", f.MongoDBURI())
	if err := f.Run(ctx); err != nil {
		fmt.Fprintf(os.Stderr, "ferretdb: %v\n", err)
		os.Exit(1)
	}
	logger.Info("ferretdb: stopped")
}
