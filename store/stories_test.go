package store

import (
	"bytes"
	"context"
	"testing"
	"time"
)

func TestStoriesRoundTrip(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := open(t, dir)
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	members := []StoryMember{
		{StoryID: "st_1", FirstAlertID: "al-a1", FirstArticleID: "a1", Position: 1, ArticleID: "a1", AlertID: "al-a1", URLKey: "one.example/a", TitleKey: "bomb kills twelve people", Signature: []byte{1, 2, 3, 4}, SeenAt: t0},
		{StoryID: "st_1", FirstAlertID: "al-a1", FirstArticleID: "a1", Position: 2, ArticleID: "a2", AlertID: "al-a2", SeenAt: t0.Add(time.Hour)},
		{StoryID: "st_1", FirstAlertID: "al-a1", FirstArticleID: "a1", Position: 3, ArticleID: "a3", AlertID: "al-a3", SeenAt: t0.Add(2 * time.Hour)},
	}
	for _, m := range members {
		if err := s.AddStoryMember(ctx, m); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CommitArticle(ctx, article(m.ArticleID), nil, []NewAlert{alert(m.ArticleID)}); err != nil {
			t.Fatal(err)
		}
	}
	// A second membership of an article is ignored.
	again := members[0]
	again.StoryID, again.Position = "st_2", 1
	if err := s.AddStoryMember(ctx, again); err != nil {
		t.Fatal(err)
	}
	th := StoryThread{StoryID: "st_1", Notifier: "siem", Root: "1700000000.000100", RootAlertID: "al-a1", State: []byte(`{"severity":"high"}`), UpdatedAt: t0}
	if err := s.SaveStoryThread(ctx, th); err != nil {
		t.Fatal(err)
	}
	// A later save keeps the root and changes the state.
	th2 := th
	th2.Root, th2.State = "other", []byte(`{"severity":"critical"}`)
	if err := s.SaveStoryThread(ctx, th2); err != nil {
		t.Fatal(err)
	}
	s.Close()

	s = open(t, dir)
	var got []StoryMember
	for m, err := range s.StoryMembersSince(ctx, t0.Add(30*time.Minute)) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, m)
	}
	if len(got) != 2 || got[0].ArticleID != "a2" || got[1].Position != 3 || got[1].FirstAlertID != "al-a1" || got[1].FirstArticleID != "a1" || !got[0].SeenAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("members since: %+v", got)
	}
	for m, err := range s.StoryMembersSince(ctx, time.Time{}) {
		if err != nil {
			t.Fatal(err)
		}
		if m.ArticleID == "a1" && (m.StoryID != "st_1" || m.URLKey != "one.example/a" || m.TitleKey == "" || !bytes.Equal(m.Signature, []byte{1, 2, 3, 4})) {
			t.Errorf("member a1: %+v", m)
		}
		if m.ArticleID == "a2" && m.Signature != nil {
			t.Errorf("member a2 has a signature %v", m.Signature)
		}
	}
	rt, ok, err := s.StoryThread(ctx, "st_1", "siem")
	if err != nil || !ok || rt.Root != th.Root || rt.RootAlertID != "al-a1" || string(rt.State) != `{"severity":"critical"}` {
		t.Errorf("thread: %+v %v %v", rt, ok, err)
	}
	if _, ok, err := s.StoryThread(ctx, "st_1", "ops"); ok || err != nil {
		t.Errorf("thread of another destination: %v %v", ok, err)
	}

	// Position 3 waits for the pending alerts of positions 1 and 2.
	due, _ := s.DueAlerts(ctx, time.Now(), 0)
	if len(due) != 3 {
		t.Fatalf("%d due", len(due))
	}
	if _, blocked, err := s.StoryBlocker(ctx, "st_1", "siem", 3); !blocked || err != nil {
		t.Errorf("position 3 not blocked: %v", err)
	}
	if _, blocked, _ := s.StoryBlocker(ctx, "st_1", "ops", 3); blocked {
		t.Error("blocked by another destination's alerts")
	}
	if _, blocked, _ := s.StoryBlocker(ctx, "st_1", "siem", 1); blocked {
		t.Error("the first alert is blocked")
	}
	// Delivered and dead letters do not block.
	ids := map[string]int64{}
	for _, it := range due {
		ids[it.ArticleID] = it.ID
	}
	if err := s.MarkDelivered(ctx, ids["a1"], time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkDead(ctx, ids["a2"], "gone"); err != nil {
		t.Fatal(err)
	}
	if _, blocked, _ := s.StoryBlocker(ctx, "st_1", "siem", 3); blocked {
		t.Error("blocked by delivered and dead alerts")
	}
	// Postpone moves the next attempt without counting one.
	later := time.Now().Add(time.Hour)
	if err := s.Postpone(ctx, ids["a3"], later); err != nil {
		t.Fatal(err)
	}
	items, _ := s.ListAlerts(ctx, "pending", 0)
	if len(items) != 1 || items[0].Attempts != 0 || !items[0].NextAttempt.Equal(later) {
		t.Errorf("postponed: %+v", items)
	}

	// Pruning drops the members older than the cut; a story and its
	// threads go with its last member.
	if n, err := s.PruneStories(ctx, t0.Add(90*time.Minute)); err != nil || n != 2 {
		t.Errorf("pruned %d, %v; want 2", n, err)
	}
	if _, ok, _ := s.StoryThread(ctx, "st_1", "siem"); !ok {
		t.Error("the thread of a live story was pruned")
	}
	if n, err := s.PruneStories(ctx, t0.Add(3*time.Hour)); err != nil || n != 1 {
		t.Errorf("pruned %d, %v; want 1", n, err)
	}
	if _, ok, _ := s.StoryThread(ctx, "st_1", "siem"); ok {
		t.Error("the thread of a pruned story survived")
	}
}
