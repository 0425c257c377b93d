package daemon

import (
	"context"
	"strings"
	"time"

	"github.com/watchfloor/watchfloor/engine"
	"github.com/watchfloor/watchfloor/ingest"
	"github.com/watchfloor/watchfloor/notifiers/router"
	"github.com/watchfloor/watchfloor/store"
	"github.com/watchfloor/watchfloor/watchers/inbox"
)

// handleFile reads one inbox file and processes its articles as they are
// read (a JSON Lines file line by line). A file that cannot be read or
// parsed goes to failed/, after its valid articles; a store failure leaves
// the file in place to be tried again. When ctx is cancelled (shutdown),
// it stops before the next article and returns ctx's error: the file stays
// in the inbox and is read again at the next start, where the articles
// already committed are found seen.
func (d *Daemon) handleFile(ctx context.Context, path string) error {
	var procErr error
	readErr := ingest.Each(path, func(a engine.Article) error {
		if procErr = ctx.Err(); procErr == nil {
			procErr = d.process(ctx, a, nil, "inbox")
		}
		return procErr
	})
	if procErr != nil {
		return procErr
	}
	if readErr != nil {
		d.m.readErrors.WithLabelValues("inbox").Inc()
		return inbox.Unreadable(readErr)
	}
	return nil
}

func (d *Daemon) handleFeedItem(ctx context.Context, a engine.Article, keys []string) error {
	return d.process(ctx, a, keys, "feed")
}

// process scores one article, routes its matches and commits the article
// and its alerts in one transaction.
func (d *Daemon) process(ctx context.Context, a engine.Article, keys []string, source string) error {
	a.EnsureID()
	seen, err := d.store.Seen(ctx, append([]string{a.ID}, keys...)...)
	if err != nil {
		return err
	}
	if seen {
		d.m.duplicates.WithLabelValues(source).Inc()
		d.log.Debug("duplicate: article seen before, not scored again", "article", a.ID, "title", a.Title, "source", a.Source)
		return nil
	}
	st := d.rules.Load()
	sc := st.scorer.Get().(*engine.Scorer)
	start := time.Now()
	res := sc.Score(a)
	st.scorer.Put(sc)
	d.m.scoring.Observe(time.Since(start).Seconds())
	for _, e := range res.Errors {
		d.m.ruleErrors.WithLabelValues(e.Rule).Inc()
		d.log.Warn("rule failed at run time", "rule", e.Rule, "article", a.ID, "err", e.Err)
	}
	now := time.Now()
	rp := router.Params{DefaultNotify: d.cfg.DefaultNotify, Silences: d.silences.Active(now)}
	var member *store.StoryMember
	if len(res.Matches) > 0 {
		// The story is assigned before the alerts are encoded: every
		// alert of the article carries it. Its first alert id is the
		// alert to the first destination routed. Its membership is
		// committed with the article (or forgotten if the article is not).
		s, rec, err := d.stories.Prepare(ctx, a, router.AlertID(a.ID, firstDest(res.Matches[0], d.cfg.DefaultNotify)), now)
		if err != nil {
			return err
		}
		rp.Story, member = s.Payload(), rec
	}
	routed, err := router.Route(res, rp, now)
	if err != nil {
		if member != nil {
			d.stories.Forget(a.ID)
		}
		return err
	}
	names := make([]string, len(res.Matches))
	for i, m := range res.Matches {
		names[i] = m.Rule
	}
	rec := store.ArticleRecord{
		ID: a.ID, Source: a.Source, Title: a.Title, URL: a.URL, Lang: a.Lang, Body: a.Body,
		Published: a.Published, SeenAt: time.Now(), Matches: names, Result: store.NewResult(res),
	}
	// Alerts past a destination's hourly limit, and those of digest-only
	// rules, are queued for its next digest; the slots they take are
	// given back when the article turns out not to be new. Follow-ups in
	// a story's thread (rules' cooldown) are not new alerts: no slot.
	storyID := ""
	if rp.Story != nil {
		storyID = rp.Story.ID
	}
	follow := d.cooldowns.FollowUps(storyID, routed.Alerts, res.Matches, now)
	dec := d.limiter.Apply(routed.Alerts, res.Matches, now, follow...)
	isNew, err := d.commits.Commit(ctx, store.Commit{Article: rec, Keys: keys, Alerts: routed.Alerts, Story: member})
	if err != nil || !isNew {
		dec.Cancel()
		if member != nil {
			d.stories.Forget(a.ID)
		}
		if err != nil {
			return err
		}
	} else {
		dec.Committed()
		if member != nil {
			d.stories.Committed(a.ID)
		}
		d.cooldowns.Record(storyID, routed.Alerts, now)
	}
	d.m.articles.WithLabelValues(source).Inc()
	if !isNew {
		d.m.duplicates.WithLabelValues(source).Inc()
		d.log.Debug("duplicate: article seen before, not scored again", "article", a.ID, "title", a.Title, "source", a.Source)
		return nil
	}
	for _, m := range res.Matches {
		d.m.matches.WithLabelValues(m.Rule).Inc()
	}
	if len(res.Matches) == 0 {
		d.log.Debug("no match", "article", a.ID, "title", a.Title, "source", a.Source)
	}
	for _, f := range routed.Silenced {
		d.silenceMetrics.Observe(f)
	}
	if len(routed.Alerts) > 0 {
		d.disp.Kick()
		d.log.Info("article matched", "article", a.ID, "title", a.Title, "rules", strings.Join(names, ","), "alerts", len(routed.Alerts),
			"silenced", len(routed.Silenced))
	}
	return nil
}

// firstDest is the destination Route sends the first match to first.
func firstDest(m engine.Match, defaultNotify []string) string {
	if dests := router.Dests(m, defaultNotify); len(dests) > 0 {
		return dests[0]
	}
	return ""
}
