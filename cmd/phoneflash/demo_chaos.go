package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/phoneflash/phoneflash/appliance/session"
	"github.com/phoneflash/phoneflash/board"
	"github.com/phoneflash/phoneflash/board/sim"
)

// working are the stages in which pulling a phone's power hurts most.
var working = []session.Stage{session.StageConfig, session.StageLoading, session.StageApplying, session.StageStepping}

// workingPorts lists the ports whose demo phone is in a working stage.
func (w *demoWatch) workingPorts() []int {
	w.mu.Lock()
	defer w.mu.Unlock()
	var ports []int
	for _, pv := range w.last.Ports {
		for _, ph := range pv.Phones {
			for _, st := range working {
				if ph.Stage == st && demoPhoneOf(ph.MAC) {
					ports = append(ports, pv.Index)
				}
			}
		}
	}
	return ports
}

// carelessOperator cuts the power of a working phone n times, through the
// simulated PSE (its phonesim is killed like a phone whose cable is pulled,
// and started again with the same flash when power returns), at random
// moments: the appliance must still take every phone to its result.
func carelessOperator(ctx context.Context, n int, scale float64, pse *sim.PSE, w *demoWatch) {
	pause := func(d time.Duration) bool {
		select {
		case <-ctx.Done():
			return false
		case <-time.After(d):
			return true
		}
	}
	for cut := 0; cut < n; {
		if !pause(time.Duration(float64(2*time.Second)*scale*4) + rand.N(time.Duration(float64(4*time.Second)*scale*4))) {
			return
		}
		ports := w.workingPorts()
		if len(ports) == 0 {
			select {
			case <-w.finished:
				return
			default:
				continue
			}
		}
		port := ports[rand.N(len(ports))]
		cut++
		w.view.note(fmt.Sprintf("operator: pulls the cable of port %d mid-flash (power cut %d of %d)", port+1, cut, n))
		if err := pse.Cycle(ctx, board.Channel(port), time.Second); err != nil && ctx.Err() == nil {
			w.view.note("operator: " + err.Error())
		}
	}
}
