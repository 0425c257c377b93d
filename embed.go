// Package watchfloor holds what the binary embeds from the repository: the
// shipped rule pack, used when no rules directory exists.
package watchfloor

import (
	"embed"
	"io/fs"
)

//go:embed rules.d
var rulePack embed.FS

// RulePack returns the shipped rule pack (the repository's rules.d).
func RulePack() fs.FS {
	sub, err := fs.Sub(rulePack, "rules.d")
	if err != nil {
		panic(err) // the embed directive guarantees the directory
	}
	return sub
}
