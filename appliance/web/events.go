package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/phoneflash/phoneflash/appliance/session"
)

// Update is the payload of a "phones" server-sent event: every phone and
// the server's clock, so the page shows how long a phone has been in its
// stage without trusting the browser's clock.
type Update struct {
	Now     time.Time       `json:"now"`
	Phones  []session.Phone `json:"phones"`
	Summary Summary         `json:"summary"`
}

// eventTick is how often an event stream sends pending phone changes and
// looks at the OLED frame: progress events coalesce into at most one
// update per tick.
const eventTick = 250 * time.Millisecond

// stream writes server-sent events to one client.
type stream struct {
	w         http.ResponseWriter
	rc        *http.ResponseController
	lastFrame []byte
}

func (st *stream) send(event string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(st.w, "event: %s\ndata: %s\n\n", event, data); err != nil {
		return err
	}
	return st.rc.Flush()
}

func (st *stream) comment(text string) error {
	if _, err := fmt.Fprintf(st.w, ": %s\n\n", text); err != nil {
		return err
	}
	return st.rc.Flush()
}

// frame sends a "frame" event when the OLED frame png differs from the
// last one sent.
func (st *stream) frame(png []byte, now time.Time) error {
	if png == nil || bytes.Equal(png, st.lastFrame) {
		return nil
	}
	st.lastFrame = png
	return st.send("frame", map[string]any{"now": now})
}

// events streams "phones" events (JSON Update) on every change and "frame"
// events when the OLED frame changes, until the client goes away.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	ch, unsubscribe := s.opt.Phones.Subscribe()
	defer unsubscribe()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	st := &stream{w: w, rc: http.NewResponseController(w)}
	update := func() Update {
		phones := s.opt.Phones.Snapshot()
		return Update{Now: s.opt.Now(), Phones: phones, Summary: Summarize(phones, s.opt.Target)}
	}
	if err := errors.Join(st.send("phones", update()), st.frame(s.oledPNG(), s.opt.Now())); err != nil {
		return
	}
	tick := time.NewTicker(eventTick)
	defer tick.Stop()
	dirty, idle := false, time.Duration(0)
	for {
		select {
		case <-r.Context().Done():
			return
		case <-ch:
			dirty = true
		case <-tick.C:
			var err error
			idle += eventTick
			if dirty {
				dirty, idle = false, 0
				err = st.send("phones", update())
			}
			if err == nil {
				err = st.frame(s.oledPNG(), s.opt.Now())
			}
			if err == nil && idle >= s.opt.KeepAlive {
				idle, err = 0, st.comment("keep-alive")
			}
			if err != nil {
				return
			}
		}
	}
}
