// Command vault is HashiCorp Vault v1.14.2's server and CLI, built from its
// module for the tests of dive's vault: secrets provider (tests/env/up starts
// it on 127.0.0.1 with file storage). Upstream's main also patches SHA-1
// certificate support back in through an internal package; dive's tests use
// no SHA-1 certificates, so this entry point only runs the command table.
package main

import (
	"os"

	"github.com/hashicorp/vault/command"
)

func main() {
	os.Exit(command.Run(os.Args[1:]))
}
