package main

import (
	"context"
	"time"
)

// headKeep is how much of an image the phone keeps to check its header;
// the rest is staged in "RAM" (counted, not kept).
const headKeep = 64 << 10

// verdict is what the loader made of a .loads file.
type verdict int

const (
	vAccepted verdict = iota
	vMissing          // not found, timeout or transfer error
	vRejected         // authentication or version refused
)

// fetchLoads fetches and authenticates a .loads file.
func (p *phone) fetchLoads(ctx context.Context, name string) (LoadsInfo, verdict, error) {
	f, err := p.fetch(ctx, name, 1<<20, p.cutOnce("loads", 0))
	if err != nil {
		return LoadsInfo{}, 0, err
	}
	if f.Outcome != outOK {
		return LoadsInfo{}, vMissing, nil
	}
	info, err := parseLoadsFile(name, f.Head, p.id.Info().Family)
	if err == nil {
		err = acceptLoad(p.flash.CNU, info)
	}
	if err != nil {
		p.rec.rejected()
		p.log.Warn("load rejected", "file", name, "cnu", p.flash.CNU, "reason", err.Error())
		return info, vRejected, nil
	}
	p.log.Info("load accepted", "file", name, "load", info.Name, "version", info.Version.String(), "images", len(info.Images))
	return info, vAccepted, nil
}

// defaultLoad is default-load mode after a format: ask for the model's term
// file; a refused load is asked again about 1 s later (the observed pair),
// then again after retry_default_load, forever.
func (p *phone) defaultLoad(ctx context.Context) (next, error) {
	name := p.id.Info().TermFile()
	p.rec.enter("default-load", "file", name)
	return p.tryLoad(ctx, name, func(info LoadsInfo) error {
		p.rec.enter("rejected", "file", name, "load", info.Name)
		if err := p.clock.sleep(ctx, p.opt.PairGap); err != nil {
			return err
		}
		_, err := p.fetch(ctx, name, 0, nil)
		return err
	})
}

// tryLoad fetches the .loads file name and installs the load if the loader
// accepts it; a refused load is handed to rejected, a missing one recorded,
// and either way the phone waits to ask again.
func (p *phone) tryLoad(ctx context.Context, name string, rejected func(LoadsInfo) error) (next, error) {
	info, v, err := p.fetchLoads(ctx, name)
	if err != nil {
		return 0, err
	}
	switch v {
	case vAccepted:
		return p.install(ctx, name, info)
	case vRejected:
		if err := rejected(info); err != nil {
			return 0, err
		}
	default:
		p.rec.enter("load-missing", "file", name)
	}
	return p.waitRetry(ctx)
}

// recoverLoad is the boot after a cut flash write: the integrity check
// fails and the phone asks for the load it was writing.
func (p *phone) recoverLoad(ctx context.Context) (next, error) {
	name := p.flash.Writing
	p.log.Warn("Load is corrupted... Updating", "file", name, "cnu_write_cut", p.flash.WritingCNU)
	p.rec.enter("recovering", "file", name)
	return p.tryLoad(ctx, name, func(LoadsInfo) error {
		p.rec.enter("load-missing", "file", name) // recovering does not tell a refused load from a missing one
		return nil
	})
}

// install fetches each image in .loads order, checks each one's header and
// embedded name, then writes flash.
func (p *phone) install(ctx context.Context, loadsName string, info LoadsInfo) (next, error) {
	p.rec.enter("loading", "load", info.Name, "images", len(info.Images))
	var total int64
	for i, img := range info.Images {
		f, err := p.fetch(ctx, img, headKeep, p.cutOnce("image", i+1))
		if err != nil {
			return 0, err
		}
		if f.Outcome != outOK {
			p.log.Warn("load aborted: image failed", "file", img, "outcome", f.Outcome)
			p.rec.enter("load-failed", "file", img)
			return p.waitRetry(ctx)
		}
		hl, err := checkSigned(img, f.Head)
		if err == nil && f.Bytes <= int64(hl) {
			err = errEmptyImage
		}
		if err != nil {
			p.rec.rejected()
			p.log.Warn("image rejected", "file", img, "reason", err.Error())
			p.rec.enter("rejected", "file", img)
			return p.waitRetry(ctx)
		}
		p.log.Info("image staged", "file", img, "k", i+1, "n", len(info.Images), "bytes", f.Bytes)
		total += f.Bytes
	}
	return p.writeFlash(ctx, loadsName, info, total)
}

type imageError string

func (e imageError) Error() string { return string(e) }

const errEmptyImage = imageError("image has no payload after its signed header")

// writeFlash simulates the flash write (write_time_per_MB) and sets the new
// load and CNU; a CNU change costs one extra reboot ("hard reset pending").
func (p *phone) writeFlash(ctx context.Context, loadsName string, info LoadsInfo, total int64) (next, error) {
	cnu := cnuFor(info.Version)
	p.flash.Writing, p.flash.WritingCNU = loadsName, cnu != p.flash.CNU
	if err := p.save(); err != nil {
		return 0, err
	}
	d := time.Duration(float64(p.opt.WritePerMB) * float64(total) / (1 << 20))
	p.rec.enter("flashing", "load", info.Name, "bytes", total, "cnu", cnu)
	if p.opt.Cut.Kind == "flash-write" && !p.cutFired {
		p.cutFired = true
		p.clock.sleep(ctx, d/2)
		return 0, errCut
	}
	if err := p.clock.sleep(ctx, d); err != nil {
		return 0, err
	}
	cnuChanged := p.flash.WritingCNU
	p.flash.Load, p.flash.CNU, p.flash.Writing, p.flash.WritingCNU = info.Name, cnu, "", false
	p.flash.FlashWrites++
	if err := p.save(); err != nil {
		return 0, err
	}
	p.log.Info("flash written", "load", info.Name, "cnu", cnu, "flash_writes", p.flash.FlashWrites)
	if cnuChanged {
		p.flash.Reboots++
		if err := p.save(); err != nil {
			return 0, err
		}
		p.rec.enter("rebooting", "reason", "CNU updated: hard reset pending")
		if err := p.clock.sleep(ctx, p.opt.RebootTime); err != nil {
			return 0, err
		}
	}
	return nextReboot, nil
}
