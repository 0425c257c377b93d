package rules

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Seed copies the rule files of pack (an embedded rule pack) into dir
// when dir does not exist or is empty, so a fresh machine or an empty
// volume starts with rules the analyst can edit; it reports whether it
// did. A directory that holds anything is left alone. Unit tests of the
// pack (*_test.yaml) are not copied: they refer to fixtures of the
// repository.
func Seed(dir string, pack fs.FS) (bool, error) {
	des, err := os.ReadDir(dir)
	if err == nil && len(des) > 0 || err != nil && !errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	err = fs.WalkDir(pack, ".", func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() || !IsRuleFile(p) {
			return err
		}
		data, err := fs.ReadFile(pack, p)
		if err != nil {
			return err
		}
		dst := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		return os.WriteFile(dst, data, 0o644)
	})
	if err != nil {
		return false, fmt.Errorf("rules: seed %s with the shipped rules: %w", dir, err)
	}
	return true, nil
}
