package silences

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/watchfloor/watchfloor/store"
)

// APIPath is where Handler serves the silences: APIPath itself and
// APIPath + "/ID".
const APIPath = "/api/v1/silences"

// maxBody is the largest POST body read: a silence is a few hundred bytes.
const maxBody = 64 << 10

// Handler serves the silences of st over HTTP, for the admin listener,
// which mounts it at APIPath and APIPath + "/" and guards the methods
// that change state (token, cross-origin):
//
//	GET    /api/v1/silences       200, a JSON array of View: those in force or yet to start, and those ended within a week
//	POST   /api/v1/silences       201, the View of the new silence (body: Spec); Location: /api/v1/silences/ID
//	GET    /api/v1/silences/ID    200, the View of one silence, however old
//	DELETE /api/v1/silences/ID    200, the View of the silence, expired now (unchanged if it had ended)
//
// Errors are JSON, {"error": "…"}: 400 for a body that is not a valid
// silence (every problem listed), 404 for an unknown id, 405 for another
// method, 413 for a body over 64 KiB, 500 when the store fails. A change
// refreshes cache (which may be nil), so it applies to the next article
// routed.
func Handler(st *store.Store, cache *Cache) http.Handler {
	return &handler{st: st, cache: cache, now: time.Now}
}

type handler struct {
	st    *store.Store
	cache *Cache
	now   func() time.Time
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == APIPath {
		switch r.Method {
		case http.MethodGet, http.MethodHead:
			h.list(w, r)
		case http.MethodPost:
			h.add(w, r)
		default:
			w.Header().Set("Allow", "GET, HEAD, POST")
			writeError(w, http.StatusMethodNotAllowed, fmt.Sprintf("method %s not allowed on %s", r.Method, APIPath))
		}
		return
	}
	id, ok := strings.CutPrefix(r.URL.Path, APIPath+"/")
	if !ok || id == "" || strings.Contains(id, "/") {
		writeError(w, http.StatusNotFound, "no such path: "+r.URL.Path)
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		h.get(w, r, id)
	case http.MethodDelete:
		h.expire(w, r, id)
	default:
		w.Header().Set("Allow", "GET, HEAD, DELETE")
		writeError(w, http.StatusMethodNotAllowed, fmt.Sprintf("method %s not allowed on %s/ID", r.Method, APIPath))
	}
}

func (h *handler) list(w http.ResponseWriter, r *http.Request) {
	now := h.now()
	list, err := List(r.Context(), h.st, now)
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	views := make([]View, len(list))
	for i, s := range list {
		views[i] = NewView(s, now)
	}
	writeJSON(w, http.StatusOK, views)
}

func (h *handler) get(w http.ResponseWriter, r *http.Request, id string) {
	sil, err := h.st.Silence(r.Context(), id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, fmt.Sprintf("%v: %q", ErrNotFound, id))
	case err != nil:
		writeError(w, http.StatusInternalServerError, err.Error())
	default:
		writeJSON(w, http.StatusOK, NewView(sil, h.now()))
	}
}

func (h *handler) add(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("silences: body over %d bytes", maxBody))
		return
	case err != nil:
		writeError(w, http.StatusBadRequest, "silences: read body: "+err.Error())
		return
	}
	var spec Spec
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&spec); err != nil {
		writeError(w, http.StatusBadRequest, "silences: body: "+err.Error()+` (want {"rules": ["NAME"], "labels": {"k": "v"}, "source": "GLOB", "duration": "6h", "reason": "…", "author": "…"})`)
		return
	}
	if dec.More() {
		writeError(w, http.StatusBadRequest, "silences: body: more than one JSON value")
		return
	}
	now := h.now()
	sil, err := Add(r.Context(), h.st, spec, now)
	var inv *InvalidError
	switch {
	case errors.As(err, &inv):
		writeError(w, http.StatusBadRequest, err.Error())
		return
	case err != nil:
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	h.changed(r, sil)
	w.Header().Set("Location", APIPath+"/"+sil.ID)
	writeJSON(w, http.StatusCreated, NewView(sil, now))
}

func (h *handler) expire(w http.ResponseWriter, r *http.Request, id string) {
	now := h.now()
	sil, err := Expire(r.Context(), h.st, id, now)
	switch {
	case errors.Is(err, ErrNotFound):
		writeError(w, http.StatusNotFound, err.Error())
		return
	case err != nil:
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	h.changed(r, sil)
	writeJSON(w, http.StatusOK, NewView(sil, now))
}

// changed brings the cache up to date after a change: a Refresh, or when
// that fails (the change itself is stored) the one silence, so that the
// change applies at once either way.
func (h *handler) changed(r *http.Request, sil Silence) {
	if h.cache == nil {
		return
	}
	if err := h.cache.Refresh(r.Context()); err != nil {
		h.cache.put(sil)
	}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "silences: encode: "+err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_, _ = w.Write(append(b, '\n'))
}

func writeError(w http.ResponseWriter, code int, msg string) {
	b, _ := json.Marshal(struct {
		Error string `json:"error"`
	}{msg})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_, _ = w.Write(append(b, '\n'))
}
