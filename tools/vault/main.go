// Command vault is HashiCorp Vault v1.14.2's server and CLI, built from its
// module for the tests of dive's vault: secrets provider (tests/env/up starts
// it on 127.0.0.1 with file storage).  Upstream's main also patches SHA-1
// certificate support back in through an internal package; dive's tests use
// no SHA-1 certificates, so this entry point only runs the command table,
// after one repair.
//
// The repair: Vault's go.mod replaces its sdk module with its own
// subdirectory, so this module builds against the published sdk v0.9.2.
// That sdk's router refuses (panics on) a path that defines a create
// operation without an existence check, and v1.14.2's system backend has
// such paths: the enterprise-only stubs (managed-keys/...), which answer
// "enterprise only" whatever they are asked.  Every request under sys/
// would fail.  Before the system backend is built, its stub paths get an
// existence check that says "does not exist", so a create stays a create
// and the stub answers as it always did.
package main

import (
	"context"
	"os"
	_ "unsafe" // go:linkname

	"github.com/hashicorp/vault/command"
	"github.com/hashicorp/vault/sdk/framework"
	"github.com/hashicorp/vault/sdk/logical"
	"github.com/hashicorp/vault/vault"
)

//go:linkname entPaths github.com/hashicorp/vault/vault.entPaths
var entPaths func(b *vault.SystemBackend) []*framework.Path

func absent(context.Context, *logical.Request, *framework.FieldData) (bool, error) {
	return false, nil
}

func withExistenceChecks(build func(b *vault.SystemBackend) []*framework.Path) func(b *vault.SystemBackend) []*framework.Path {
	return func(b *vault.SystemBackend) []*framework.Path {
		paths := build(b)
		for _, p := range paths {
			_, op := p.Operations[logical.CreateOperation]
			_, cb := p.Callbacks[logical.CreateOperation]
			if p.ExistenceCheck == nil && (op || cb) {
				p.ExistenceCheck = absent
			}
		}
		return paths
	}
}

func main() {
	entPaths = withExistenceChecks(entPaths)
	os.Exit(command.Run(os.Args[1:]))
}
