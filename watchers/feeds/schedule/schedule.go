// Package schedule parses the cron specs of feeds: when each feed is
// polled. It is apart from package feeds so that the config can check a
// schedule (at its FILE:LINE:COL) without linking the feed reader.
package schedule

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

var cronParser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// Default is the schedule of a feed that gives none.
const Default = "@every 15m"

// Parse parses a feed's cron spec: five fields (minute hour day-of-month
// month day-of-week), an optional leading seconds field, descriptors such
// as "@every 15m", "@hourly" or "@daily", and an optional "CRON_TZ=Zone "
// or "TZ=Zone " prefix. Some malformed specs make the cron parser panic;
// they come back as errors like any other. Errors do not start with the
// spec: the caller knows how to show it (a config shows the text as
// written, before ${VAR} expansion).
func Parse(spec string) (sched cron.Schedule, err error) {
	defer func() {
		if r := recover(); r != nil {
			sched, err = nil, fmt.Errorf("malformed spec (%v)", r)
		}
	}()
	s := strings.TrimSpace(spec)
	if s == "" {
		return nil, errors.New("empty")
	}
	body := s
	if strings.HasPrefix(body, "CRON_TZ=") || strings.HasPrefix(body, "TZ=") {
		_, body, _ = strings.Cut(body, " ")
		body = strings.TrimSpace(body)
	}
	if rest, ok := strings.CutPrefix(body, "@every"); ok {
		// cron accepts a negative or zero interval and then fires
		// continuously.
		if d, err := time.ParseDuration(strings.TrimSpace(rest)); err == nil && d <= 0 {
			return nil, errors.New("the interval must be positive")
		}
	}
	return cronParser.Parse(spec)
}
