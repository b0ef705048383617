package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// cutPoint is where -cut-at makes the phone lose power by itself.
type cutPoint struct {
	Kind  string // "", dhcp, loads, config, image, flash-write
	Image int    // image: 1-based index in the .loads list
	Bytes int64  // image: after this many bytes
}

// parseCut parses -cut-at: dhcp, loads, config, flash-write or image:K:N
// (N bytes, with an optional k or M suffix). TFTP tells the phone no file
// size, so the point inside an image is given in bytes.
func parseCut(s string) (cutPoint, error) {
	switch s {
	case "", "dhcp", "loads", "config", "flash-write":
		return cutPoint{Kind: s}, nil
	}
	parts := strings.Split(s, ":")
	if len(parts) != 3 || parts[0] != "image" {
		return cutPoint{}, fmt.Errorf("-cut-at %q: want dhcp, loads, config, flash-write or image:K:BYTES", s)
	}
	k, err := strconv.Atoi(parts[1])
	if err != nil || k < 1 {
		return cutPoint{}, fmt.Errorf("-cut-at %q: image index %q: want 1 or more", s, parts[1])
	}
	n, err := parseBytes(parts[2])
	if err != nil {
		return cutPoint{}, fmt.Errorf("-cut-at %q: %w", s, err)
	}
	return cutPoint{Kind: "image", Image: k, Bytes: n}, nil
}

func parseBytes(s string) (int64, error) {
	mult := int64(1)
	switch {
	case strings.HasSuffix(s, "k"):
		mult, s = 1<<10, strings.TrimSuffix(s, "k")
	case strings.HasSuffix(s, "M"):
		mult, s = 1<<20, strings.TrimSuffix(s, "M")
	case strings.HasSuffix(s, "%"):
		return 0, fmt.Errorf("%q: TFTP without tsize tells the phone no file size; give bytes", s)
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("bytes %q: want a count like 4096, 64k or 1M", s)
	}
	return n * mult, nil
}

// simClock runs phone-side delays faster by scale.
type simClock struct {
	scale float64
	rng   *rand.Rand
}

// d is the real duration of a nominal phone-side delay.
func (c simClock) d(nominal time.Duration) time.Duration {
	return time.Duration(float64(nominal) / c.scale)
}

// sleep waits a nominal delay, scaled; it returns early when ctx ends.
func (c simClock) sleep(ctx context.Context, nominal time.Duration) error {
	t := time.NewTimer(c.d(nominal))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// between is a uniformly random nominal duration in [lo, hi].
func (c simClock) between(lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	return lo + time.Duration(c.rng.Int64N(int64(hi-lo)+1))
}
