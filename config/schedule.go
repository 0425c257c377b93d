package config

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

var cronParser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// ParseSchedule parses a feed's cron spec: five fields (minute hour
// day-of-month month day-of-week), an optional leading seconds field,
// descriptors such as "@every 15m", "@hourly" or "@daily", and an optional
// "CRON_TZ=Zone " or "TZ=Zone " prefix. Some malformed specs make the cron
// parser panic; they come back as errors like any other.
func ParseSchedule(spec string) (cron.Schedule, error) {
	sched, err := parseSchedule(spec)
	if err != nil {
		return nil, fmt.Errorf("config: invalid schedule %q: %w", spec, err)
	}
	return sched, nil
}

// parseSchedule is ParseSchedule with errors that do not quote spec.
func parseSchedule(spec string) (sched cron.Schedule, err error) {
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
