package daemon

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/config"
)

// TestInboxBinaryFilesFail drops files that are not text into a running
// daemon's inbox: each goes to failed/ with its reason, and none alerts.
func TestInboxBinaryFilesFail(t *testing.T) {
	rcv := newReceiver(t)
	cfg := baseConfig(t)
	cfg.Notifiers = []config.Notifier{{Name: "siem", Type: "webhook", URL: rcv.srv.URL, Secret: secret}}
	cfg.DefaultNotify = []string{"siem"}
	if err := os.WriteFile(filepath.Join(cfg.RulesDir, "zz-all.yaml"), []byte("rules:\n  - name: everything\n    when: 'true'\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	e := startDaemon(t, cfg, "")
	defer e.stop()
	seed, err := os.ReadFile("../testdata/seeds/004.txt")
	if err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write(seed)
	_ = zw.Close()
	files := []struct {
		name   string
		data   []byte
		reason string
	}{
		{"004.txt.gz", gz.Bytes(), "unsupported file type .gz"},
		{"photo.png", append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), seed...), "unsupported file type .png"},
		{"report.pdf", append([]byte("%PDF-1.7\n"), seed...), "unsupported file type .pdf"},
		{"gzipped.txt", gz.Bytes(), "binary content: gzip-compressed data"},
		{"nul.txt", append([]byte("Title\x00\x00\x01\x00\n"), seed...), "binary content: NUL bytes"},
	}
	for _, f := range files {
		dropFile(t, e.inbox, f.name, f.data)
	}
	for _, f := range files {
		errFile := filepath.Join(e.inbox, "failed", f.name+".error")
		eventually(t, f.name+" in failed/", 10*time.Second, func() bool { _, err := os.Stat(errFile); return err == nil })
		msg, _ := os.ReadFile(errFile)
		if !strings.Contains(string(msg), f.reason) {
			t.Errorf("%s: reason %q, want %q", f.name, msg, f.reason)
		}
	}
	// A text file still alerts, so the rule above was live all along.
	dropFile(t, e.inbox, "004.txt", seed)
	eventually(t, "the text file's alert", 10*time.Second, func() bool { return rcv.count() == 1 })
	time.Sleep(200 * time.Millisecond)
	if n := rcv.count(); n != 1 {
		t.Errorf("%d alerts, want only the text file's", n)
	}
}
