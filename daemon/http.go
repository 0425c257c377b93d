package daemon

import (
	"context"
	"crypto/subtle"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/watchfloor/watchfloor/notifiers/silences"
)

// Handler serves the admin endpoints: /livez (alias /healthz), /readyz,
// /metrics, POST /-/reload and the silences API (/api/v1/silences).
//
// Requests that change state (any method but GET, HEAD and OPTIONS) are
// refused when they come cross-origin from a browser (a page the analyst
// visits cannot trigger a reload), and carry the bearer token of
// http.token_file when one is set. On a listener beyond loopback a token
// is required: without http.token_file such requests are refused.
func (d *Daemon) Handler() http.Handler {
	mux := http.NewServeMux()
	live := func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	}
	mux.HandleFunc("GET /livez", live)
	mux.HandleFunc("GET /healthz", live)
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := d.store.Ping(ctx); err != nil {
			http.Error(w, "store: not ready", http.StatusServiceUnavailable)
			return
		}
		if err := d.commits.Err(); err != nil {
			http.Error(w, "store: commits failing: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		if d.rules.Load() == nil {
			http.Error(w, "rules: not loaded", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ready\n"))
	})
	sh := silences.Handler(d.store, d.silences)
	mux.Handle(silences.APIPath, sh)
	mux.Handle(silences.APIPath+"/", sh)
	mux.Handle("GET /metrics", promhttp.HandlerFor(d.reg, promhttp.HandlerOpts{Registry: d.reg}))
	mux.HandleFunc("POST /-/reload", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if err := d.Reload("http"); err != nil {
			http.Error(w, "reload failed, running rules kept:\n"+err.Error(), http.StatusBadRequest)
			return
		}
		_, _ = w.Write([]byte("reloaded\n"))
	})
	return http.NewCrossOriginProtection().Handler(d.requireToken(mux))
}

// requireToken guards the methods that change state with the admin
// token: always when one is configured, and by refusing them outright on
// a listener beyond loopback that has none.
func (d *Daemon) requireToken(next http.Handler) http.Handler {
	token := d.cfg.HTTP.Token
	loopback := IsLoopbackListen(d.cfg.HTTP.Listen)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			next.ServeHTTP(w, r)
			return
		}
		if token == "" {
			if loopback {
				next.ServeHTTP(w, r)
				return
			}
			http.Error(w, "forbidden: this listener is not on loopback; set http.token_file to allow "+r.Method, http.StatusForbidden)
			return
		}
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="watchfloor"`)
			http.Error(w, "unauthorized: a bearer token is required", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// IsLoopbackListen reports whether an http.listen address (host:port)
// binds only loopback: a loopback IP or "localhost". An empty host or an
// unspecified address (":9464", "0.0.0.0:9464", "[::]:9464") listens on
// every interface.
func IsLoopbackListen(listen string) bool {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
