package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/phoneflash/phoneflash/appliance/session"
)

// Update is the payload of a "phones" server-sent event: every phone and
// the server's clock, so the page shows how long a phone has been in its
// stage without trusting the browser's clock.
type Update struct {
	Now    time.Time       `json:"now"`
	Phones []session.Phone `json:"phones"`
}

// eventTick is how often an event stream sends pending phone changes and
// looks at the OLED frame: progress events coalesce into at most one
// update per tick.
const eventTick = 250 * time.Millisecond

// events streams "phones" events (JSON Update) on every change and "frame"
// events when the OLED frame changes, until the client goes away.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	ch, unsubscribe := s.opt.Phones.Subscribe()
	defer unsubscribe()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)

	var lastFrame []byte
	send := func(event string, v any) error {
		data, err := json.Marshal(v)
		if err != nil {
			return err
		}
		if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, data); err != nil {
			return err
		}
		return rc.Flush()
	}
	frame := func() error {
		b := s.oledPNG()
		if b == nil || bytes.Equal(b, lastFrame) {
			return nil
		}
		lastFrame = b
		return send("frame", map[string]any{"now": s.opt.Now()})
	}
	if err := send("phones", Update{Now: s.opt.Now(), Phones: s.opt.Phones.Snapshot()}); err != nil {
		return
	}
	if err := frame(); err != nil {
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
				err = send("phones", Update{Now: s.opt.Now(), Phones: s.opt.Phones.Snapshot()})
			}
			if err == nil {
				err = frame()
			}
			if err == nil && idle >= s.opt.KeepAlive {
				idle = 0
				_, err = fmt.Fprint(w, ": keep-alive\n\n")
				if err == nil {
					err = rc.Flush()
				}
			}
			if err != nil {
				return
			}
		}
	}
}
