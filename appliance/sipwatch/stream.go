package sipwatch

import (
	"errors"
	"io"
	"net/netip"
	"time"

	"github.com/emiago/sipgo/sip"
)

// flowKey is one direction of a TCP connection.
type flowKey [2]netip.AddrPort

// flow reassembles one direction of a TCP connection into SIP messages
// with sipgo's stream parser, which frames messages by Content-Length: a
// message split over segments waits for the rest, several in one segment
// come out one by one.
type flow struct {
	next     uint32 // the sequence number expected next
	synced   bool
	stream   *sip.ParserStream
	buffered int // bytes fed and not yet consumed by complete messages
	seen     time.Time
}

// flows holds at most max flows, each buffering at most maxMessage bytes.
type flows struct {
	parser     *sip.Parser
	max        int
	maxMessage int
	idle       time.Duration
	m          map[flowKey]*flow
	resets     int // streams dropped: garbage, oversized, a gap, or evicted
}

func newFlows(parser *sip.Parser, max, maxMessage int, idle time.Duration) *flows {
	return &flows{parser: parser, max: max, maxMessage: maxMessage, idle: idle, m: map[flowKey]*flow{}}
}

func (fs *flows) drop(k flowKey) {
	if f := fs.m[k]; f != nil {
		f.stream.Close()
		delete(fs.m, k)
	}
}

// get returns the flow of k, making room for it when the table is full by
// dropping the flow seen longest ago.
func (fs *flows) get(k flowKey, now time.Time) *flow {
	if f := fs.m[k]; f != nil {
		return f
	}
	if len(fs.m) >= fs.max {
		var oldest flowKey
		var at time.Time
		for key, f := range fs.m {
			if at.IsZero() || f.seen.Before(at) {
				oldest, at = key, f.seen
			}
		}
		fs.drop(oldest)
		fs.resets++
	}
	f := &flow{stream: fs.parser.NewSIPStream(), seen: now}
	fs.m[k] = f
	return f
}

// expire drops flows idle for longer than idle.
func (fs *flows) expire(now time.Time) {
	for k, f := range fs.m {
		if now.Sub(f.seen) > fs.idle {
			fs.drop(k)
		}
	}
}

// segment feeds one TCP segment and calls emit for each complete message.
func (fs *flows) segment(p packet, now time.Time, emit func(sip.Message)) {
	k := flowKey{p.src, p.dst}
	if p.flags&(tcpRST|tcpFIN) != 0 && len(p.payload) == 0 {
		fs.drop(k)
		return
	}
	if p.flags&tcpSYN != 0 {
		fs.drop(k)
		f := fs.get(k, now)
		f.next, f.synced = p.seq+1, true
		return
	}
	if len(p.payload) == 0 {
		return
	}
	f := fs.get(k, now)
	f.seen = now
	data := p.payload
	switch d := int32(p.seq - f.next); {
	case !f.synced:
		f.synced = true // joined mid-connection: take this segment as the start
	case d < 0 && int(-d) >= len(data):
		return // a retransmission of what was fed already
	case d < 0:
		data = data[-d:] // overlaps what was fed: take the new part
	case d > 0:
		fs.restart(f) // a gap (lost or reordered capture): resynchronise here
	}
	f.next = p.seq + uint32(len(p.payload))
	fs.feed(f, data, emit)
	if p.flags&(tcpRST|tcpFIN) != 0 {
		fs.drop(k)
	}
}

// restart forgets what a flow buffered.
func (fs *flows) restart(f *flow) {
	f.stream.Reset()
	f.buffered = 0
	fs.resets++
}

// feed parses data; garbage or a message over maxMessage resets the flow,
// so the next segment that starts a message starts it afresh.
func (fs *flows) feed(f *flow, data []byte, emit func(sip.Message)) {
	if f.buffered+len(data) > fs.maxMessage {
		fs.restart(f)
		if len(data) > fs.maxMessage {
			return
		}
	}
	f.stream.Write(data)
	f.buffered += len(data)
	for {
		msg, _, err := f.stream.ParseNext()
		if errors.Is(err, io.ErrUnexpectedEOF) {
			f.buffered = f.stream.Buffer().Len()
			return
		}
		if err != nil {
			fs.restart(f)
			return
		}
		emit(msg)
		if f.buffered = f.stream.Buffer().Len(); f.buffered == 0 {
			return
		}
	}
}
