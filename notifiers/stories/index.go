// Package stories groups the articles that alert into stories: an article
// that reports the same event as one alerted within the window (default
// 48 hours) joins that article's story instead of opening a new one. An
// article joins, in this order of precedence, by
//
//   - the same URL (URLKey: canonical, tracking parameters, fragment,
//     scheme and trailing slash aside),
//   - the same title (TitleKey: normalised, publisher suffix and
//     "UPDATE:"/"BREAKING:" prefixes aside, four words at least), or
//   - near-duplicate text: the estimated Jaccard similarity of the sets of
//     three-word shingles of the normalised title and body, from 64-value
//     MinHash signatures, at least DefaultThreshold (0.5).
//
// The threshold was measured on a development corpus of real reports
// (MUC-4, CENTCOM, re3d; see corpus_test.go): copies edited as
// republishers do (a new headline, boilerplate lines, the last paragraph
// dropped, one word in twenty changed) join at 0.5 in 95% of cases; of
// about 24,500 pairs of distinct reports, 11 joined: 9 verbatim or
// near-verbatim re-issues of one report, and 2 press releases whose later
// one repeats half of the earlier one word for word. Independent reports of one event
// written by different people share few shingles (similarity under 0.1)
// and join only by URL or title.
//
// The index of recent stories lives in the store and survives restarts.
// In memory the Index keeps only the articles seen within the window,
// rebuilt from the store when it opens: a lookup is a few map reads (the
// URL, the title, and 21 LSH bands of 3 signature values), whatever the
// number of articles stored. Members older than the window leave the
// memory as time passes; the store keeps them twice the window (so alerts
// still being retried keep their order) and then prunes them.
package stories

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/watchfloor/watchfloor/engine"
	"github.com/watchfloor/watchfloor/notifiers"
	"github.com/watchfloor/watchfloor/store"
)

// DefaultWindow is how long after an article alerted another one can join
// its story.
const DefaultWindow = 48 * time.Hour

// Story is the story an article belongs to.
type Story struct {
	// ID is the story's id: "st_" and 24 hex digits derived from its
	// first article's id, so the same first article always opens the
	// same story.
	ID string
	// FirstAlertID is the alert id given when the story was opened (see
	// Index.Assign).
	FirstAlertID string
	// FirstArticleID is the id of the story's first article.
	FirstArticleID string
	// Position is the article's position in the story, 1 for the first.
	Position int
	// JoinedBy says how the article joined: "url", "title" or "text";
	// "" for the first article.
	JoinedBy string
}

// Payload returns the story as the pinned alert payload carries it.
func (s Story) Payload() *notifiers.Story {
	return &notifiers.Story{ID: s.ID, FirstAlertID: s.FirstAlertID, Position: s.Position}
}

// Options configure an Index.
type Options struct {
	// Window is how long after an article alerted another can join its
	// story (default DefaultWindow).
	Window time.Duration
	// Threshold is the estimated shingle similarity at which a text joins
	// (default DefaultThreshold).
	Threshold float64
	// Metrics, when set, counts the stories opened and joined.
	Metrics *Metrics
	Logger  *slog.Logger
}

// storyState is a story as the index keeps it.
type storyState struct {
	id, firstAlertID, firstArticleID string
	n                                int // the last position given
}

// member is an article of a story seen within the window.
type member struct {
	st        *storyState
	articleID string
	position  int
	seen      time.Time
	urlKey    string
	titleKey  string
	sig       *Signature // nil when the text is too short
	// prepared is set from Prepare until Committed (or Forget): the
	// membership is not in the store yet, nor counted in the metrics.
	// joinedBy says how the article joined ("" when it opened its story).
	prepared bool
	joinedBy string
}

// Index assigns articles to stories. Its methods are safe for concurrent
// use; Assign calls are serialised, so positions within a story are
// consecutive.
type Index struct {
	st *store.Store
	o  Options

	mu        sync.Mutex
	byArticle map[string]*member
	byURL     map[string]*member
	byTitle   map[string]*member
	byBand    map[uint64][]*member
	// queue holds the members in the order they were seen; those older
	// than the window leave from its front.
	queue    []*member
	prunedAt time.Time
}

// Open returns the index over st, loading the members seen within the
// window before now from it.
func Open(ctx context.Context, st *store.Store, o Options, now time.Time) (*Index, error) {
	if o.Window <= 0 {
		o.Window = DefaultWindow
	}
	if o.Threshold <= 0 {
		o.Threshold = DefaultThreshold
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	ix := &Index{st: st, o: o, byArticle: map[string]*member{}, byURL: map[string]*member{}, byTitle: map[string]*member{},
		byBand: map[uint64][]*member{}}
	// Members of a story are loaded in the order of their positions, and
	// a story's later members are newer: the window holds its last one.
	stories := map[string]*storyState{}
	for m, err := range st.StoryMembersSince(ctx, now.Add(-o.Window)) {
		if err != nil {
			return nil, fmt.Errorf("stories: open: %w", err)
		}
		s := stories[m.StoryID]
		if s == nil {
			s = &storyState{id: m.StoryID, firstAlertID: m.FirstAlertID, firstArticleID: m.FirstArticleID}
			stories[m.StoryID] = s
		}
		s.n = max(s.n, m.Position)
		mem := &member{st: s, articleID: m.ArticleID, position: m.Position, seen: m.SeenAt, urlKey: m.URLKey, titleKey: m.TitleKey}
		if m.Signature != nil {
			var sig Signature
			if err := sig.UnmarshalBinary(m.Signature); err != nil {
				return nil, fmt.Errorf("stories: open: article %s: %w", m.ArticleID, err)
			}
			mem.sig = &sig
		}
		ix.add(mem)
	}
	ix.o.Metrics.setSize(len(ix.byArticle))
	return ix, nil
}

// Window returns the index's window.
func (ix *Index) Window() time.Duration { return ix.o.Window }

// Assign puts an article that produced alerts into a story and returns
// it: the story of an article alerted within the window before now that
// has the same URL, the same title or near-duplicate text, else a new
// story of which the article is the first (position 1, with alertID as
// its FirstAlertID). The membership is stored before Assign returns, so
// it survives a restart. Assigning an article again returns its story and
// position as first assigned.
//
// The daemon calls it once per article that alerts, before it encodes the
// article's alerts, and puts the story on every destination's alert
// (Story.Payload); alertID is the id of one of those alerts, the same
// rule each time (such as the first destination's).
func (ix *Index) Assign(ctx context.Context, a engine.Article, alertID string, now time.Time) (Story, error) {
	s, rec, err := ix.Prepare(ctx, a, alertID, now)
	if err != nil || rec == nil {
		return s, err
	}
	if err := ix.st.AddStoryMember(ctx, *rec); err != nil {
		ix.Forget(a.ID)
		return Story{}, fmt.Errorf("stories: assign: %w", err)
	}
	ix.Committed(a.ID)
	return s, nil
}

// Prepare is Assign without the store write: it returns the membership
// record for the caller to commit with the article (store.Commit.Story),
// so the article, its alerts and its place in the story are written in
// one transaction. The index holds the member at once, so concurrent
// articles join its story; call Committed once the commit recorded the
// article as new, and Forget when the commit fails or finds the article
// seen before. The record is nil when the article already has its story.
func (ix *Index) Prepare(ctx context.Context, a engine.Article, alertID string, now time.Time) (Story, *store.StoryMember, error) {
	if a.ID == "" {
		return Story{}, nil, errors.New("stories: assign: the article has no id")
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.expire(ctx, now)
	if m := ix.byArticle[a.ID]; m != nil {
		return m.story(""), nil, nil
	}
	mem := &member{articleID: a.ID, seen: now, urlKey: URLKey(a.URL), titleKey: TitleKey(a.Title)}
	if sig, ok := Sign(a.Title, a.Body); ok {
		mem.sig = &sig
	}
	found, by := ix.lookup(mem)
	if found != nil {
		mem.st = found.st
	} else {
		h := sha256.Sum256([]byte(a.ID))
		mem.st = &storyState{id: "st_" + hex.EncodeToString(h[:12]), firstAlertID: alertID, firstArticleID: a.ID}
	}
	mem.position = mem.st.n + 1
	rec := store.StoryMember{StoryID: mem.st.id, FirstAlertID: mem.st.firstAlertID, FirstArticleID: mem.st.firstArticleID,
		Position: mem.position, ArticleID: a.ID, AlertID: alertID, URLKey: mem.urlKey, TitleKey: mem.titleKey, SeenAt: now}
	if mem.sig != nil {
		rec.Signature, _ = mem.sig.MarshalBinary()
	}
	mem.st.n = mem.position
	mem.prepared, mem.joinedBy = true, by
	ix.add(mem)
	ix.o.Metrics.setSize(len(ix.byArticle))
	return mem.story(by), &rec, nil
}

// Committed notes that a prepared article's membership was committed with
// it: only then is the story it opened or joined counted
// (watchfloor_stories_opened_total, watchfloor_stories_joined_total). An
// article not prepared, or already committed, changes nothing.
func (ix *Index) Committed(articleID string) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if m := ix.byArticle[articleID]; m != nil && m.prepared {
		m.prepared = false
		ix.o.Metrics.assigned(m.joinedBy)
	}
}

// Forget drops a prepared member whose commit failed or found the
// article seen before. Its position stays taken: a later article of the
// story gets the next one.
func (ix *Index) Forget(articleID string) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if m := ix.byArticle[articleID]; m != nil {
		ix.remove(m)
		for i, q := range ix.queue {
			if q == m {
				ix.queue = append(ix.queue[:i], ix.queue[i+1:]...)
				break
			}
		}
		ix.o.Metrics.setSize(len(ix.byArticle))
	}
}

func (m *member) story(by string) Story {
	return Story{ID: m.st.id, FirstAlertID: m.st.firstAlertID, FirstArticleID: m.st.firstArticleID, Position: m.position, JoinedBy: by}
}

// lookup finds the member a new article joins and says by what.
func (ix *Index) lookup(m *member) (*member, string) {
	if m.urlKey != "" {
		if f := ix.byURL[m.urlKey]; f != nil {
			return f, "url"
		}
	}
	if m.titleKey != "" {
		if f := ix.byTitle[m.titleKey]; f != nil {
			return f, "title"
		}
	}
	if m.sig == nil {
		return nil, ""
	}
	var best *member
	bestSim := 0.0
	for i := 0; i < bands; i++ {
		for _, c := range ix.byBand[m.sig.bandKey(i)] {
			if c == best {
				continue
			}
			if s := Similarity(m.sig, c.sig); s >= ix.o.Threshold && (s > bestSim || s == bestSim && c.seen.After(best.seen)) {
				best, bestSim = c, s
			}
		}
	}
	if best != nil {
		return best, "text"
	}
	return nil, ""
}

// add indexes a member.
func (ix *Index) add(m *member) {
	ix.byArticle[m.articleID] = m
	if m.urlKey != "" {
		ix.byURL[m.urlKey] = m
	}
	if m.titleKey != "" {
		ix.byTitle[m.titleKey] = m
	}
	if m.sig != nil {
		for i := 0; i < bands; i++ {
			k := m.sig.bandKey(i)
			ix.byBand[k] = append(ix.byBand[k], m)
		}
	}
	ix.queue = append(ix.queue, m)
}

// pruneEvery is how often, at most, Assign prunes the store.
const pruneEvery = time.Hour

// expire drops the members seen before the window from memory, and now
// and then the members seen before twice the window from the store.
func (ix *Index) expire(ctx context.Context, now time.Time) {
	cut := now.Add(-ix.o.Window)
	i := 0
	for ; i < len(ix.queue) && ix.queue[i].seen.Before(cut); i++ {
		ix.remove(ix.queue[i])
		ix.queue[i] = nil
	}
	if i > 0 {
		ix.queue = ix.queue[i:]
		if cap(ix.queue) > 2*len(ix.queue)+64 { // give back the memory
			ix.queue = append([]*member(nil), ix.queue...)
		}
	}
	if now.Sub(ix.prunedAt) >= pruneEvery {
		ix.prunedAt = now
		if n, err := ix.st.PruneStories(ctx, now.Add(-2*ix.o.Window)); err != nil {
			ix.o.Logger.Error("pruning old stories", "err", err)
		} else if n > 0 {
			ix.o.Logger.Debug("pruned old stories", "members", n)
		}
	}
}

// remove drops a member from the maps.
func (ix *Index) remove(m *member) {
	if ix.byArticle[m.articleID] == m {
		delete(ix.byArticle, m.articleID)
	}
	if m.urlKey != "" && ix.byURL[m.urlKey] == m {
		delete(ix.byURL, m.urlKey)
	}
	if m.titleKey != "" && ix.byTitle[m.titleKey] == m {
		delete(ix.byTitle, m.titleKey)
	}
	if m.sig != nil {
		for i := 0; i < bands; i++ {
			k := m.sig.bandKey(i)
			l := ix.byBand[k]
			for j, c := range l {
				if c == m {
					l = append(l[:j], l[j+1:]...)
					break
				}
			}
			if len(l) == 0 {
				delete(ix.byBand, k)
			} else {
				ix.byBand[k] = l
			}
		}
	}
}

// Len returns the number of articles the index holds in memory.
func (ix *Index) Len() int {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	return len(ix.byArticle)
}

// Metrics are the story metrics.
type Metrics struct {
	joined *prometheus.CounterVec
	opened prometheus.Counter
	size   prometheus.Gauge
}

// NewMetrics registers the story metrics on reg:
// watchfloor_stories_joined_total{by="url|title|text"},
// watchfloor_stories_opened_total and watchfloor_stories_index_articles.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		joined: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "watchfloor_stories_joined_total", Help: "Alerting articles that joined an existing story, by what matched (url, title, text).",
		}, []string{"by"}),
		opened: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "watchfloor_stories_opened_total", Help: "Alerting articles that opened a new story.",
		}),
		size: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "watchfloor_stories_index_articles", Help: "Articles in the story index (those alerted within stories.window).",
		}),
	}
	for _, by := range []string{"url", "title", "text"} {
		m.joined.WithLabelValues(by)
	}
	reg.MustRegister(m.joined, m.opened, m.size)
	return m
}

// assigned counts an article committed in the story it opened (by "") or
// joined.
func (m *Metrics) assigned(by string) {
	if m == nil {
		return
	}
	if by == "" {
		m.opened.Inc()
	} else {
		m.joined.WithLabelValues(by).Inc()
	}
}

func (m *Metrics) setSize(n int) {
	if m != nil {
		m.size.Set(float64(n))
	}
}
