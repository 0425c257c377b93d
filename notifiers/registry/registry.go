// Package registry builds the notifiers a configuration names: one
// constructor per notifier type (config.TypeLog, TypeSlack, TypeWebhook).
// It is the one place that knows every notifier package, so the daemon,
// `watchfloor check` and tests build notifiers the same way; a new type is
// one entry in the table below.
package registry

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"

	"github.com/watchfloor/watchfloor/config"
	"github.com/watchfloor/watchfloor/notifiers"
	"github.com/watchfloor/watchfloor/notifiers/lognotify"
	"github.com/watchfloor/watchfloor/notifiers/slack"
	"github.com/watchfloor/watchfloor/notifiers/webhook"
)

// Options are what notifiers share beyond their own configuration.
type Options struct {
	// Stdout is where the log notifier writes (default os.Stdout).
	Stdout io.Writer
	// Client sends the webhook and Slack requests (default a plain
	// client). Its Timeout is dropped: the dispatcher's delivery.timeout
	// alone bounds an attempt, never a client timeout meant for feeds.
	Client *http.Client
	// Version goes into the webhook User-Agent.
	Version string
	// SlackAPIURL, when set, overrides every Slack notifier's API base URL
	// (a local Slack test server).
	SlackAPIURL string
}

// factory builds one notifier of a type from its configuration.
type factory func(n config.Notifier, o Options) (notifiers.Notifier, error)

var factories = map[string]factory{
	config.TypeLog: func(n config.Notifier, o Options) (notifiers.Notifier, error) {
		return lognotify.New(n.Name, o.Stdout), nil
	},
	config.TypeSlack: func(n config.Notifier, o Options) (notifiers.Notifier, error) {
		api := n.APIURL
		if o.SlackAPIURL != "" {
			api = o.SlackAPIURL
		}
		return slack.New(slack.Config{Name: n.Name, Token: n.Token, Channel: n.Channel, WebhookURL: n.WebhookURL, APIURL: api, Client: o.Client})
	},
	config.TypeWebhook: func(n config.Notifier, o Options) (notifiers.Notifier, error) {
		return webhook.New(webhook.Config{Name: n.Name, URL: n.URL, Secret: n.Secret, Client: o.Client, UserAgent: "watchfloor/" + o.Version})
	},
}

// Types lists the notifier types that Build knows, sorted.
func Types() []string {
	out := make([]string, 0, len(factories))
	for t := range factories {
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}

// Build makes the notifiers ns describe, keyed by name. An error names the
// notifier (a webhook secret whose base64 is broken, an unknown type).
func Build(ns []config.Notifier, o Options) (map[string]notifiers.Notifier, error) {
	if o.Stdout == nil {
		o.Stdout = os.Stdout
	}
	if o.Client == nil {
		o.Client = &http.Client{}
	} else {
		c := *o.Client
		c.Timeout = 0
		o.Client = &c
	}
	out := make(map[string]notifiers.Notifier, len(ns))
	for _, n := range ns {
		f, ok := factories[n.Type]
		if !ok {
			return nil, fmt.Errorf("notifier %s: unknown type %q (known: %v)", n.Name, n.Type, Types())
		}
		nt, err := f(n, o)
		if err != nil {
			return nil, fmt.Errorf("notifier %s: %w", n.Name, err)
		}
		out[n.Name] = nt
	}
	return out, nil
}
