package web_test

import (
	"context"
	"image"
	"io"
	"log"
	"net/netip"

	"github.com/phoneflash/phoneflash/appliance/session"
	"github.com/phoneflash/phoneflash/appliance/web"
	"github.com/phoneflash/phoneflash/firmware"
)

// How the appliance wires the web UI: the session manager is the phone
// source and does retry and forget; the firmware store imports uploads;
// the journal gives histories and the report. Connections to the bench
// subnets are refused even with -http :80.
func Example() {
	ctx := context.Background()
	m := session.NewManager(session.ManagerConfig{ /* Machine, Target, Journal, ... */ })
	store, err := firmware.OpenStore("/perm/phoneflash/firmware")
	if err != nil {
		log.Fatal(err)
	}
	metrics := web.NewMetrics()
	srv, err := web.New(web.Options{
		Phones:   m,
		Retry:    m.Retry,
		Forget:   m.Forget,
		Firmware: store,
		History: func(mac string) ([]session.Record, error) {
			return nil, nil // appliance.History(stateDir, mac).Records
		},
		Report:     func(w io.Writer) error { return nil },              // session.WriteCSV(w, histories)
		Accounts:   func(csv []byte) (string, error) { return "", nil }, // save to the state directory, reload the table
		PowerCycle: func(port string) error { return nil },              // the board's PSE
		Frame:      func() image.Image { return nil },                   // the newest status.Render frame
		Password:   "from -web-password or <state>/web-password",
		StateDir:   "/perm/phoneflash/state",
		Metrics:    metrics,
	})
	if err != nil {
		log.Fatal(err)
	}
	metrics.TransferDone("eth1", 1<<20) // from tftpd's callbacks, and so on
	l, err := web.Listen(":80", []netip.Prefix{netip.MustParsePrefix("10.79.1.1/24")})
	if err != nil {
		log.Fatal(err)
	}
	log.Fatal(srv.Serve(ctx, l))
}
