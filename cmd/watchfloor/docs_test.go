package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var yamlBlock = regexp.MustCompile("(?s)```yaml\n(.*?)```")

// TestDocsExamples runs the examples of docs/rules.md: every YAML block of
// rules followed by a block of tests is a rules directory that
// `watchfloor test` must pass.
func TestDocsExamples(t *testing.T) {
	doc, err := os.ReadFile("../../docs/rules.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := yamlBlock.FindAllStringSubmatch(string(doc), -1)
	examples := 0
	for i := 0; i+1 < len(blocks); i++ {
		rulesSrc, testSrc := blocks[i][1], blocks[i+1][1]
		if strings.HasPrefix(rulesSrc, "tests:") || !strings.HasPrefix(testSrc, "tests:") {
			continue
		}
		examples++
		t.Run(fmt.Sprint("example ", examples), func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "example.yaml"), []byte(rulesSrc), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "example_test.yaml"), []byte(testSrc), 0o644); err != nil {
				t.Fatal(err)
			}
			code, out, errs := run(t, "", "test", "--rules", dir)
			if code != 0 || !strings.Contains(out, " 0 failed") {
				t.Errorf("exit %d\n%s%s", code, out, errs)
			}
		})
		i++
	}
	if examples < 3 {
		t.Errorf("found %d examples in docs/rules.md", examples)
	}
}
