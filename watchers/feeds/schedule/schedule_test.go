package schedule

import (
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name, spec string
		bad        bool
	}{
		{name: "every", spec: "@every 15m"},
		{name: "five fields", spec: "*/5 * * * *"},
		{name: "seconds field", spec: "0 */2 * * * *"},
		{name: "CRON_TZ", spec: "CRON_TZ=Asia/Baghdad 0 7 * * *"},
		{name: "TZ", spec: "TZ=UTC 0 7 * * 1-5"},
		{name: "descriptor", spec: "@daily"},
		{name: "empty", spec: "", bad: true},
		{name: "spaces", spec: "   ", bad: true},
		{name: "every without interval", spec: "@every", bad: true},
		{name: "empty TZ panics the parser", spec: "TZ=", bad: true},
		{name: "empty CRON_TZ", spec: "CRON_TZ=", bad: true},
		{name: "unknown zone", spec: "CRON_TZ=Nowhere/Land * * * * *", bad: true},
		{name: "too many fields", spec: "* * * * * * * *", bad: true},
		{name: "negative interval", spec: "@every -1m", bad: true},
		{name: "zero interval", spec: "@every 0s", bad: true},
		{name: "negative interval with zone", spec: "CRON_TZ=UTC @every -1m", bad: true},
		{name: "out of range", spec: "61 * * * *", bad: true},
		{name: "word", spec: "nonsense", bad: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse(tt.spec)
			if tt.bad {
				if err == nil {
					t.Errorf("accepted")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			if next := s.Next(now); !next.After(now) {
				t.Errorf("next run %v is not after %v", next, now)
			}
		})
	}
}
