package store

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"regexp"
	"testing"
	"time"
)

// TestSilencesSurviveReopen adds silences to a real database file, closes
// it, opens it again (as after a restart) and reads them back field by
// field; an expiry also survives the reopen.
func TestSilencesSurviveReopen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	s := open(t, dir)
	in := []Silence{
		{Rules: []string{"attack", "strike"}, Labels: map[string]string{"region": "sahel"}, Source: "feed:*",
			StartsAt: now, EndsAt: now.Add(6 * time.Hour), Reason: "known story", Author: "ana", CreatedAt: now},
		{Source: "file:*.jsonl#*", StartsAt: now, EndsAt: now.Add(time.Hour), Reason: "replay", Author: "bo", CreatedAt: now.Add(time.Second)},
	}
	var added []Silence
	for _, sil := range in {
		got, err := s.AddSilence(ctx, sil)
		if err != nil {
			t.Fatal(err)
		}
		if !regexp.MustCompile(`^[a-z2-7]{13}$`).MatchString(got.ID) {
			t.Errorf("id %q is not 13 lower-case base32 characters", got.ID)
		}
		added = append(added, got)
	}
	if added[0].ID == added[1].ID {
		t.Fatalf("two silences share the id %s", added[0].ID)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = open(t, dir)
	got, err := s.Silences(ctx, now)
	if err != nil {
		t.Fatal(err)
	}
	// Newest first; empty labels read back as an empty map, empty rules as
	// an empty list.
	want := []Silence{added[1], added[0]}
	want[0].Labels, want[0].Rules = map[string]string{}, []string{}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("after reopen:\n got %+v\nwant %+v", got, want)
	}

	expired, err := s.ExpireSilence(ctx, added[0].ID, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if !expired.ExpiredAt.Equal(now.Add(time.Hour)) || !expired.End().Equal(now.Add(time.Hour)) {
		t.Errorf("expired: %+v", expired)
	}
	// Expiring it again changes nothing.
	again, err := s.ExpireSilence(ctx, added[0].ID, now.Add(2*time.Hour))
	if err != nil || !again.ExpiredAt.Equal(expired.ExpiredAt) {
		t.Errorf("second expiry: %+v %v", again, err)
	}
	if _, err := s.ExpireSilence(ctx, "nosuchsilence", now); !errors.Is(err, ErrNotFound) {
		t.Errorf("expire an unknown id: %v, want ErrNotFound", err)
	}
	s.Close()

	s = open(t, dir)
	sil, err := s.Silence(ctx, added[0].ID)
	if err != nil || !sil.ExpiredAt.Equal(now.Add(time.Hour)) {
		t.Errorf("expiry lost across reopen: %+v %v", sil, err)
	}
	if sil.ActiveAt(now.Add(90 * time.Minute)) {
		t.Error("an expired silence is still active")
	}
	if !sil.ActiveAt(now) || sil.ActiveAt(now.Add(-time.Nanosecond)) {
		t.Error("ActiveAt is wrong at the start")
	}
}

// TestSilencesListedAWeekAfterTheyEnd: Silences(since) returns those that
// end after since, so a list from a week ago shows ended silences for a
// week and not after, and one from now shows only those still in force.
func TestSilencesListedAWeekAfterTheyEnd(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	t0 := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	week := 7 * 24 * time.Hour
	ran, err := s.AddSilence(ctx, Silence{Rules: []string{"a"}, StartsAt: t0, EndsAt: t0.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	cut, err := s.AddSilence(ctx, Silence{Rules: []string{"b"}, StartsAt: t0, EndsAt: t0.Add(30 * 24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ExpireSilence(ctx, cut.ID, t0.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		since time.Time
		want  []string
	}{
		{name: "in force now, before either ends", since: t0.Add(30 * time.Minute), want: []string{cut.ID, ran.ID}},
		{name: "in force after the first ran out", since: t0.Add(90 * time.Minute), want: []string{cut.ID}},
		{name: "in force after the expiry", since: t0.Add(3 * time.Hour), want: nil},
		{name: "a week back, six days after", since: t0.Add(6*24*time.Hour - week), want: []string{cut.ID, ran.ID}},
		{name: "a week back, just over a week after the first ended", since: t0.Add(time.Hour + week + time.Minute - week), want: []string{cut.ID}},
		{name: "a week back, over a week after the expiry", since: t0.Add(2*time.Hour + week + time.Minute - week), want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Silences(ctx, tt.since)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, sil := range got {
				ids = append(ids, sil.ID)
			}
			if !reflect.DeepEqual(ids, tt.want) {
				t.Errorf("got %v, want %v", ids, tt.want)
			}
		})
	}
	// Ended silences are kept: outbox rows name them.
	if _, err := s.Silence(ctx, ran.ID); err != nil {
		t.Errorf("an old silence is gone: %v", err)
	}
}

func TestAddSilenceRefusesEmptyPeriod(t *testing.T) {
	s := open(t, t.TempDir())
	now := time.Now()
	if _, err := s.AddSilence(context.Background(), Silence{Rules: []string{"a"}, StartsAt: now, EndsAt: now}); err == nil {
		t.Error("a silence that ends when it starts was stored")
	}
}

// TestSilencedAlertsAreNeverSent enqueues a silenced alert beside a
// pending one: it is listed with its silence ids, but never due, never
// counted as pending, and cannot be retried, also after a reopen.
func TestSilencedAlertsAreNeverSent(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := open(t, dir)
	quiet := alert("q")
	quiet.Status, quiet.SilencedBy = StatusSilenced, []string{"s1", "s2"}
	partial := alert("p")
	partial.SilencedBy = []string{"s1"} // some rules silenced, the alert still goes
	if _, err := s.CommitArticle(ctx, article("q"), nil, []NewAlert{quiet}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CommitArticle(ctx, article("p"), nil, []NewAlert{partial}); err != nil {
		t.Fatal(err)
	}
	bad := alert("x")
	bad.Status = "delivered"
	if _, err := s.CommitArticle(ctx, article("x"), nil, []NewAlert{bad}); err == nil {
		t.Error("an alert enqueued as delivered")
	}
	s.Close()
	s = open(t, dir)

	due, err := s.DueAlerts(ctx, time.Now().Add(365*24*time.Hour), 0)
	if err != nil || len(due) != 1 || due[0].AlertID != "al-p" || !reflect.DeepEqual(due[0].SilencedBy, []string{"s1"}) {
		t.Fatalf("due: %+v %v, want only al-p silenced by s1", due, err)
	}
	if pending, dead, _ := s.OutboxCounts(ctx); pending != 1 || dead != 0 {
		t.Errorf("counts %d pending %d dead, want 1 0", pending, dead)
	}
	list, err := s.ListAlerts(ctx, StatusSilenced, 0)
	if err != nil || len(list) != 1 || list[0].AlertID != "al-q" || !reflect.DeepEqual(list[0].SilencedBy, []string{"s1", "s2"}) {
		t.Fatalf("silenced list: %+v %v", list, err)
	}
	if err := s.RetryAlert(ctx, list[0].ID, time.Now()); !errors.Is(err, ErrNotFound) {
		t.Errorf("retry of a silenced alert: %v, want ErrNotFound", err)
	}
	if n, err := s.RetryAllDead(ctx, time.Now()); n != 0 || err != nil {
		t.Errorf("retry all dead: %d %v", n, err)
	}
	if list, _ := s.ListAlerts(ctx, StatusSilenced, 0); len(list) != 1 {
		t.Errorf("the silenced alert changed status: %+v", list)
	}
}

// TestSilencedByMigratesOldRows opens a database at schema version 1 with
// an alert in its outbox: the migration adds the column, and the old row
// reads back with no silences.
func TestSilencedByMigratesOldRows(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data")
	s := open(t, dir)
	s.Close()
	path := filepath.Join(dir, FileName)
	// Rebuild it as version 1 with one pending alert.
	rawSQLite(t, path, "DROP TABLE silences", "ALTER TABLE outbox DROP COLUMN silenced_by",
		"DROP INDEX outbox_notifier", "ALTER TABLE outbox DROP COLUMN digest_id", "PRAGMA user_version = 1",
		`INSERT INTO outbox (alert_id, notifier, article_id, rules, payload, status, created_at, next_attempt) VALUES ('old', 'siem', 'a', '["r"]', x'7b7d', 'pending', 1, 1)`)
	s = open(t, dir)
	items, err := s.ListAlerts(ctx, "", 0)
	if err != nil || len(items) != 1 || items[0].AlertID != "old" || len(items[0].SilencedBy) != 0 || items[0].SilencedBy == nil {
		t.Fatalf("old row after migration: %+v %v", items, err)
	}
	if _, err := s.AddSilence(ctx, Silence{Rules: []string{"r"}, StartsAt: time.Now(), EndsAt: time.Now().Add(time.Hour)}); err != nil {
		t.Errorf("no silences table after migration: %v", err)
	}
}
