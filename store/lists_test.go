package store

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestCorruptListsAreErrors damages the JSON lists of a real database
// file (an article's matches, an alert's rules) and reads them: the read
// fails naming what is wrong, instead of returning an empty list.
func TestCorruptListsAreErrors(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		corrupt string
		read    func(s *Store) error
		want    string
	}{
		{name: "article matches", corrupt: `UPDATE articles SET matches = 'rule-a,rule-b'`, want: "matches: list",
			read: func(s *Store) error { _, err := s.Article(ctx, "a"); return err }},
		{name: "history matches", corrupt: `UPDATE articles SET matches = '["r"'`, want: "matches: list",
			read: func(s *Store) error {
				for _, err := range s.History(ctx, time.Time{}, time.Time{}) {
					return err
				}
				return nil
			}},
		{name: "outbox rules in list", corrupt: `UPDATE outbox SET rules = '{"r":1}'`, want: "rules: list",
			read: func(s *Store) error { _, err := s.ListAlerts(ctx, "", 0); return err }},
		{name: "outbox rules when due", corrupt: `UPDATE outbox SET rules = ''`, want: "rules: list",
			read: func(s *Store) error { _, err := s.DueAlerts(ctx, time.Now().Add(time.Hour), 0); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t, t.TempDir())
			if _, err := s.CommitArticle(ctx, article("a"), nil, []NewAlert{alert("a")}); err != nil {
				t.Fatal(err)
			}
			if _, err := s.w.ExecContext(ctx, tt.corrupt); err != nil {
				t.Fatal(err)
			}
			err := tt.read(s)
			if err == nil {
				t.Fatal("read a corrupt list without an error")
			}
			if !strings.HasPrefix(err.Error(), "store: ") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want the store prefix and %q", err, tt.want)
			}
		})
	}
}
