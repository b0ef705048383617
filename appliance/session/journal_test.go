package session

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/phoneflash/phoneflash/appliance/journal"
)

// teeRecorder passes records on and remembers, per phone, the order the
// Manager produced them in.
type teeRecorder struct {
	next  Recorder
	mu    sync.Mutex
	order map[string][]string
}

func (r *teeRecorder) Record(rec Record) error {
	r.mu.Lock()
	r.order[rec.MAC] = append(r.order[rec.MAC], rec.Kind+": "+rec.Detail)
	r.mu.Unlock()
	return r.next.Record(rec)
}

// journey is what a phone does, without checking the answers: a phone on
// SIP asks for its config, one on an old loader takes the stepping stone.
func (p *simPhone) journey(old bool) {
	p.boot()
	if !old {
		for _, f := range []string{"CTLSEP" + p.mac + ".tlv", "ITLSEP" + p.mac + ".tlv", "ITLFile.tlv", "SEP" + p.mac + ".cnf.xml"} {
			p.req(f)
		}
		return
	}
	p.req("term06.default.loads")
	for _, f := range stepImages {
		p.req(f)
		p.b.m.Handle(TFTPProgress{MAC: p.mac, File: f, Bytes: 512, Total: 1000})
		p.b.m.Handle(TFTPDone{MAC: p.mac, File: f})
	}
	p.req("SEP" + p.mac + ".cnf.xml")
}

// TestManagerDoesNotWaitForTheJournal: with the journal's file sync stuck,
// phones on two ports still get every answer (Handle never waits for the
// disk), each from its own goroutine; once the sync returns, every phone's
// records are on disk in the order the Manager made them.
func TestManagerDoesNotWaitForTheJournal(t *testing.T) {
	b := newBench(t, "extension,pbx_host\n", false)
	// The journal's file sync blocks until released.
	entered, open := make(chan struct{}), make(chan struct{})
	enter := sync.OnceFunc(func() { close(entered) })
	b.jopts = journal.Options{Sync: func(f *os.File) error { enter(); <-open; return f.Sync() }}
	release := sync.OnceFunc(func() { close(open) })
	defer release() // before the journal's cleanup, even on failure
	b.tee = &teeRecorder{order: map[string][]string{}}
	b.start(false)
	var phones []*simPhone
	for i := range 6 {
		phones = append(phones, &simPhone{b: b, mac: fmt.Sprintf("0011220001%02d", i), port: fmt.Sprintf("eth%d", i%2+1), idx: i % 2, vci: vci06})
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		phones[0].boot()
		<-entered // the writer is stuck in a sync
		var wg sync.WaitGroup
		for i, p := range phones {
			wg.Add(1)
			go func() {
				defer wg.Done()
				p.journey(i%2 == 0)
			}()
		}
		wg.Wait()
		b.m.Snapshot()
	}()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("phones not answered within 60 s: Manager.Handle waits for the journal's file sync")
	}
	for i, p := range phones {
		want := map[bool]Stage{true: StageStepping, false: StageConfig}[i%2 == 0]
		if s, _ := b.m.State(p.mac); s.Stage != want {
			t.Errorf("%s: %s after its journey, want %s", p.mac, s.Stage, want)
		}
	}

	release()
	if err := b.j.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	hs, err := journal.Read(b.dir)
	if err != nil || len(hs) != len(phones) {
		t.Fatalf("%d phones on disk, want %d: %v", len(hs), len(phones), err)
	}
	for _, l := range hs {
		h := DecodeHistory(l.Key, l.Lines, l.Damaged)
		var got []string
		for _, r := range h.Records {
			got = append(got, r.Kind+": "+r.Detail)
		}
		if diff := cmp.Diff(b.tee.order[h.MAC], got); diff != "" || h.Damaged != 0 {
			t.Errorf("%s: on disk (-made +written), %d damaged:\n%s", h.MAC, h.Damaged, diff)
		}
	}
}
