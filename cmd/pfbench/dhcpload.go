package main

import (
	"context"
	"math/rand/v2"
	"net"
	"sync"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"

	"github.com/phoneflash/phoneflash/internal/namespace"
	"github.com/phoneflash/phoneflash/internal/udpsock"
)

// perfdhcp always acts as a relay agent for DHCPv4 (source port 67, hops 1,
// giaddr = its own address), and phoneflash drops relayed requests by
// design (a bench has no relays; a forged giaddr is a reflection vector).
// So DORA rates are also measured with this client-mode generator, against
// every server: DISCOVERs from 0.0.0.0:68 with the broadcast flag and a
// random MAC out of 60,000, a REQUEST for each OFFER, a reply later than
// 1 s counts as a drop. Rate 0 is a closed loop with maxInFlight exchanges
// outstanding.
const (
	loadMACs    = 60000
	maxInFlight = 256
	replyWait   = time.Second
)

// doraLoad runs the generator on conn (0.0.0.0:68 in the client
// namespace, bound to its interface) for d.
func doraLoad(ctx context.Context, conn net.PacketConn, rate int, d time.Duration) perfdhcpStats {
	type pending struct {
		at      time.Time
		request bool
	}
	var (
		mu    sync.Mutex
		st    perfdhcpStats
		open  = map[dhcpv4.TransactionID]pending{}
		slots = make(chan struct{}, maxInFlight)
	)
	bcast := &net.UDPAddr{IP: net.IPv4bcast, Port: 67}
	rng := rand.New(rand.NewPCG(1, 2))
	stopRecv := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		buf := make([]byte, 1500)
		for {
			conn.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
			n, _, err := conn.ReadFrom(buf)
			if err != nil {
				select {
				case <-stopRecv:
					return
				default:
					continue
				}
			}
			m, err := dhcpv4.FromBytes(buf[:n])
			if err != nil {
				continue
			}
			now := time.Now()
			mu.Lock()
			p, ok := open[m.TransactionID]
			if !ok || now.Sub(p.at) > replyWait {
				mu.Unlock()
				continue
			}
			switch {
			case !p.request && m.MessageType() == dhcpv4.MessageTypeOffer:
				st.DO.Received++
				st.DO.DelaysMS = append(st.DO.DelaysMS, float64(now.Sub(p.at).Microseconds())/1000)
				req, err := dhcpv4.NewRequestFromOffer(m, dhcpv4.WithBroadcast(true))
				if err == nil {
					open[m.TransactionID] = pending{at: time.Now(), request: true}
					st.RA.Sent++
					conn.WriteTo(req.ToBytes(), bcast)
				}
			case p.request && m.MessageType() == dhcpv4.MessageTypeAck:
				st.RA.Received++
				st.RA.DelaysMS = append(st.RA.DelaysMS, float64(now.Sub(p.at).Microseconds())/1000)
				delete(open, m.TransactionID)
				if rate == 0 {
					<-slots
				}
			}
			mu.Unlock()
		}
	})
	send := func() {
		mac := net.HardwareAddr{0x00, 0x0c, 0x01, 0, 0, 0}
		k := rng.IntN(loadMACs)
		mac[3], mac[4], mac[5] = byte(k>>16), byte(k>>8), byte(k)
		m, err := dhcpv4.NewDiscovery(mac, dhcpv4.WithBroadcast(true))
		if err != nil {
			return
		}
		mu.Lock()
		open[m.TransactionID] = pending{at: time.Now()}
		st.DO.Sent++
		mu.Unlock()
		conn.WriteTo(m.ToBytes(), bcast)
	}
	start := time.Now()
	end := start.Add(d)
	if rate > 0 {
		t := time.NewTicker(time.Millisecond)
		sent := 0
		for now := range t.C {
			if now.After(end) || ctx.Err() != nil {
				break
			}
			for due := int(now.Sub(start).Seconds() * float64(rate)); sent < due; sent++ {
				send()
			}
		}
		t.Stop()
	} else {
		// A slot is freed by an ACK or, after replyWait, by the reaper.
		reap := time.NewTicker(50 * time.Millisecond)
		for time.Now().Before(end) && ctx.Err() == nil {
			select {
			case slots <- struct{}{}:
				send()
			case <-reap.C:
				mu.Lock()
				for xid, p := range open {
					if time.Since(p.at) > replyWait {
						delete(open, xid)
						<-slots
					}
				}
				mu.Unlock()
			}
		}
		reap.Stop()
	}
	time.Sleep(replyWait)
	close(stopRecv)
	wg.Wait()
	st.DO.Drops = st.DO.Sent - st.DO.Received
	st.RA.Drops = st.RA.Sent - st.RA.Received
	st.DO.AvgMS, st.RA.AvgMS = mean(st.DO.DelaysMS), mean(st.RA.DelaysMS)
	return st
}

func mean(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

// listenDHCPClient opens 0.0.0.0:68 in ns, bound to ifname, with
// SO_BROADCAST: broadcast replies of any server arrive there.
func listenDHCPClient(ns, ifname string) (net.PacketConn, error) {
	return namespace.Open(ns, func() (net.PacketConn, error) {
		return udpsock.Listen(context.Background(), ifname, "0.0.0.0:68", udpsock.RecvBuffer(4<<20))
	})
}
