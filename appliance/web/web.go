// Package web serves the appliance's status page, JSON API, live updates
// (server-sent events), operator actions (power cycle, retry, forget,
// firmware and account-table uploads, CSV report) and Prometheus metrics.
// Everything it acts on comes in through Options, so the appliance wires
// it and tests drive it over real sockets with fakes.
package web

import (
	"context"
	"crypto/rand"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"image"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/phoneflash/phoneflash/appliance/session"
	"github.com/phoneflash/phoneflash/firmware"
	"github.com/phoneflash/phoneflash/internal/defaults"
)

//go:embed assets
var assets embed.FS

// Phones is the live list of phones: session.Manager satisfies it.
type Phones interface {
	Snapshot() []session.Phone
	// Subscribe returns a channel that receives a value after changes and
	// a function to unsubscribe.
	Subscribe() (<-chan struct{}, func())
}

// Firmware is the firmware store: *firmware.Store satisfies it. Import is
// the same importer the command line uses.
type Firmware interface {
	Import(srcs ...string) (firmware.ImportResult, error)
	Loads() []firmware.Load
	Verify() firmware.VerifyReport
}

// Upload size limits.
const (
	MaxFirmwareUpload = 64 << 20
	MaxAccountsUpload = 1 << 20
)

// Options wires a Server. Phones is required; a nil action func makes that
// action answer 501 with a message.
type Options struct {
	Phones  Phones
	History func(mac string) ([]session.Record, error) // one phone's journal records, oldest first
	// Frame returns the newest OLED frame (nil when there is none yet). It
	// is called from several goroutines: each event stream looks at it
	// four times a second and tells its page when it changed.
	Frame    func() image.Image
	Firmware Firmware
	// Accounts saves and reloads an account table already checked by
	// provision.ParseTable; note says what became of the phones (which
	// were asked to re-read their config).
	Accounts   func(csv []byte) (note string, err error)
	PowerCycle func(port string) error
	Retry      func(mac string) error
	Forget     func(mac string) error
	Report     func(w io.Writer) error // the CSV report
	Bundle     func(w io.Writer) error // the office bundle (a zip)
	// Unhealthy lists what keeps the appliance from doing its job (state
	// that is being forgotten, hardware that does not answer); /healthz
	// answers 503 with them and the page shows them. nil: always healthy.
	Unhealthy func() []string

	// Target names the loads phones end on (one per family), shown once
	// above the phones until the phones name theirs.
	Target string

	// Password guards the actions; "" disables them (never open).
	Password string
	// ProtectPage makes the page, API, events and metrics need the
	// password too (/healthz stays open).
	ProtectPage bool
	// StateDir receives uploads (in a fresh temporary folder) before they
	// are imported; "" means the system's temporary directory.
	StateDir string

	Metrics *Metrics // nil: a fresh one on its own registry
	Log     *slog.Logger
	Now     func() time.Time
	// KeepAlive is how often an idle event stream gets a comment line; 0
	// means 15 s.
	KeepAlive time.Duration
}

// Server is the web UI and API.
type Server struct {
	opt     Options
	mux     *http.ServeMux
	page    *template.Template
	key     []byte // signs CSRF tokens
	metrics *Metrics

	mu        sync.Mutex
	sessions  map[string]time.Time // login cookie value -> expiry
	failUntil time.Time            // password checks refused until then
}

// sessionTTL is how long a login lasts.
const sessionTTL = 12 * time.Hour

// New checks opt and returns a Server.
func New(opt Options) (*Server, error) {
	if opt.Phones == nil {
		return nil, errors.New("web: Options.Phones is required")
	}
	opt.Log = defaults.Logger(opt.Log)
	opt.Now = defaults.Clock(opt.Now)
	if opt.KeepAlive <= 0 {
		opt.KeepAlive = 15 * time.Second
	}
	page, err := template.ParseFS(assets, "assets/index.html")
	if err != nil {
		return nil, fmt.Errorf("web: page template: %w", err)
	}
	s := &Server{opt: opt, page: page, key: make([]byte, 32), sessions: map[string]time.Time{}}
	rand.Read(s.key)
	s.metrics = opt.Metrics
	if s.metrics == nil {
		s.metrics = NewMetrics()
	}
	s.metrics.watch(opt.Phones)
	s.routes()
	return s, nil
}

// Handler returns the server's routes, behind the cross-site request check.
func (s *Server) Handler() http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.opt.Log.Warn("web: cross-site request refused", "method", r.Method, "path", r.URL.Path,
			"origin", r.Header.Get("Origin"), "remote", r.RemoteAddr)
		http.Error(w, "cross-site request refused: use the page served by this appliance", http.StatusForbidden)
	}))
	return securityHeaders(cop.Handler(s.mux))
}

func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("X-Frame-Options", "DENY")
		w.Header().Set("Referrer-Policy", "no-referrer")
		h.ServeHTTP(w, r)
	})
}

// Serve serves on l until ctx is done, then shuts down gracefully (open
// event streams end at once).
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	srv := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		BaseContext:       func(net.Listener) context.Context { return ctx },
		ErrorLog:          slog.NewLogLogger(s.opt.Log.Handler(), slog.LevelWarn),
	}
	done := make(chan error, 1)
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		done <- srv.Shutdown(sctx)
	}()
	err := srv.Serve(l)
	if !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("web: serving on %s: %w", l.Addr(), err)
	}
	if err := <-done; err != nil {
		return fmt.Errorf("web: shutting down: %w", err)
	}
	return nil
}

func (s *Server) routes() {
	m := http.NewServeMux()
	s.mux = m
	open := func(h http.HandlerFunc) http.HandlerFunc { return h }
	// Every route with who may call it: open to anyone, viewer (the page's
	// password when ProtectPage is set) or action (the password always,
	// with the CSRF token of a login cookie).
	for _, r := range []struct {
		pattern string
		guard   func(http.HandlerFunc) http.HandlerFunc
		h       http.HandlerFunc
	}{
		{"GET /assets/", open, http.FileServerFS(assets).ServeHTTP},
		{"GET /healthz", open, s.healthz},
		{"GET /login", open, s.loginPage},
		{"POST /login", open, s.login},
		{"POST /logout", open, s.logout},
		{"GET /{$}", s.viewer, s.index},
		{"GET /events", s.viewer, s.events},
		{"GET /oled.png", s.viewer, s.oled},
		{"GET /api/phones", s.viewer, s.phones},
		{"GET /api/phones/{mac}", s.viewer, s.phone},
		{"GET /api/phones/{mac}/history", s.viewer, s.history},
		{"GET /api/firmware", s.viewer, s.firmwareList},
		{"GET /api/summary", s.viewer, s.summary},
		{"GET /metrics", s.viewer, s.metrics.handler().ServeHTTP},
		{"GET /report.csv", s.action, s.report},
		{"GET /bundle.zip", s.action, s.bundle},
		{"POST /api/ports/{port}/power-cycle", s.action, s.powerCycle},
		{"POST /api/phones/{mac}/retry", s.action, s.retry},
		{"POST /api/phones/{mac}/forget", s.action, s.forget},
		{"POST /api/firmware", s.action, s.uploadFirmware},
		{"POST /api/accounts", s.action, s.uploadAccounts},
	} {
		m.HandleFunc(r.pattern, r.guard(r.h))
	}
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	probs := s.unhealthy()
	if len(probs) == 0 {
		io.WriteString(w, "ok\n")
		return
	}
	w.WriteHeader(http.StatusServiceUnavailable)
	for _, p := range probs {
		fmt.Fprintf(w, "degraded: %s\n", p)
	}
}

func (s *Server) unhealthy() []string {
	if s.opt.Unhealthy == nil {
		return nil
	}
	return s.opt.Unhealthy()
}
