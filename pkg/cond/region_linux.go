package cond

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Region is a shared-memory table of named conds and barriers used by
// several processes. The coordinator creates it with NewRegion and passes
// File to each worker through exec.Cmd.ExtraFiles; the worker opens it with
// OpenRegion. Both register their pid in a process slot.
//
// Names are allocated on first use: the first Cond or Barrier call with a
// name creates the object, later calls in any process attach to it. Objects
// live as long as the region. A Region is safe for concurrent use.
type Region struct {
	f    *os.File
	mem  []byte
	l    *layout
	pid  uint32
	slot int
	// procs, inside and members are the region's arrays whose length is
	// its number of process slots (see regionLayout).
	procs   []procSlot
	inside  [MaxObjects][]atomic.Uint32
	members [MaxObjects][]atomic.Uint64

	closing  atomic.Bool
	mu       sync.RWMutex // read-held by every operation, write-held by Close
	raceKeys *[MaxObjects]uint64
}

// fileID identifies a region's file: device and inode.
type fileID struct{ dev, ino uint64 }

// NewRegion creates a region for up to procs processes registered at once,
// the caller included, in an anonymous memory file (memfd_create), and
// registers the calling process. Its memory grows with procs, about 200
// bytes a process. The file is sealed against resizing, so no process can
// shrink it under the others' mappings. procs must be 1 to MaxProcs.
func NewRegion(procs int) (*Region, error) {
	if procs < 1 || procs > MaxProcs {
		return nil, fmt.Errorf("cond: a region is made for 1 to %d processes, not %d", MaxProcs, procs)
	}
	rl := layoutFor(procs)
	fd, err := unix.MemfdCreate("brine-cond", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return nil, fmt.Errorf("cond: memfd_create: %w", err)
	}
	f := os.NewFile(uintptr(fd), "brine-cond")
	if err := unix.Ftruncate(fd, int64(rl.size)); err != nil {
		f.Close()
		return nil, fmt.Errorf("cond: size region: %w", err)
	}
	seals := unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_SEAL
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS, seals); err != nil {
		f.Close()
		return nil, fmt.Errorf("cond: seal region: %w", err)
	}
	r, err := mapRegion(f)
	if err != nil {
		return nil, err
	}
	r.l.magic = layoutMagic
	r.l.version = layoutVersion
	r.l.size = uint32(rl.size)
	r.l.maxima = [4]uint32{uint32(procs), MaxObjects, MaxWaiters, MaxNameLen}
	r.view(rl)
	return r.registered()
}

// OpenRegion maps a region created by NewRegion in another process, given
// the inherited file (for ExtraFiles[0], os.NewFile(3, "brine-cond")), and
// registers the calling process. The Region owns f and closes it on Close.
// It returns an error wrapping ErrBadRegion if f holds no region of this
// build's layout, and one wrapping ErrRegionFull if as many processes as
// the region was made for are registered.
func OpenRegion(f *os.File) (*Region, error) {
	r, err := mapRegion(f)
	if err != nil {
		return nil, err
	}
	procs := int(r.l.maxima[0])
	want := [4]uint32{uint32(procs), MaxObjects, MaxWaiters, MaxNameLen}
	magic, version, maxima := r.l.magic, r.l.version, r.l.maxima
	if magic != layoutMagic || version != layoutVersion || maxima != want || procs < 1 || procs > MaxProcs ||
		layoutFor(procs).size != len(r.mem) || r.l.size != uint32(len(r.mem)) {
		r.unmap()
		return nil, fmt.Errorf("%w: layout v%d %v of %d bytes, want v%d: build coordinator and worker from the same brine version",
			ErrBadRegion, version, maxima, len(r.mem), layoutVersion)
	}
	r.view(layoutFor(procs))
	return r.registered()
}

// mapRegion maps the whole of f, which must be of a region's size.
func mapRegion(f *os.File) (*Region, error) {
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		f.Close()
		return nil, fmt.Errorf("cond: stat region: %w", err)
	}
	if st.Size < int64(layoutFor(1).size) || st.Size > int64(layoutFor(MaxProcs).size) {
		f.Close()
		return nil, fmt.Errorf("%w: %d bytes: build coordinator and worker from the same brine version", ErrBadRegion, st.Size)
	}
	mem, err := unix.Mmap(int(f.Fd()), 0, int(st.Size), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("cond: mmap region: %w", err)
	}
	return &Region{
		f:        f,
		mem:      mem,
		l:        (*layout)(unsafe.Pointer(&mem[0])),
		pid:      uint32(os.Getpid()),
		raceKeys: raceKeysFor(fileID{st.Dev, st.Ino}),
	}, nil
}

// view points r's arrays into its mapping.
func (r *Region) view(rl regionLayout) {
	r.procs, r.inside, r.members = rl.view(r.mem)
}

// Procs returns the number of processes the region was made for: how many
// may be registered at once.
func (r *Region) Procs() int { return len(r.procs) }

// File returns the region's file, to hand to a child in
// exec.Cmd.ExtraFiles. It stays owned by the Region.
func (r *Region) File() *os.File { return r.f }

// Close wakes this process's waits on the region (they return ErrClosed;
// a barrier wait breaks its barrier), waits for its operations in flight
// to return, and unmaps the region. Other processes are not affected, and
// this process stays registered: the coordinator's ProcessDied ends that.
// Close may be called more than once.
func (r *Region) Close() error {
	if !r.closing.CompareAndSwap(false, true) {
		return nil
	}
	for i := range r.l.objects {
		o := &r.l.objects[i]
		o.seq.Add(1)
		futexWake(&o.seq, wakeAll, allBits)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.unmap()
}

func (r *Region) unmap() error {
	err := unix.Munmap(r.mem)
	if cerr := r.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// enter starts an operation; it fails once Close has begun.
func (r *Region) enter() bool {
	r.mu.RLock()
	if r.closing.Load() {
		r.mu.RUnlock()
		return false
	}
	return true
}

func (r *Region) exit() { r.mu.RUnlock() }

// registered registers r, or unmaps it on failure.
func (r *Region) registered() (*Region, error) {
	if err := r.register(); err != nil {
		r.unmap()
		return nil, err
	}
	return r, nil
}

// register claims a process slot for this process: its own if it already
// has one, else a free one, else one whose process is known dead.
func (r *Region) register() error {
	// A dead holder cannot have left the table inconsistent: a slot's
	// state is written last.
	if err := r.lockWord(context.Background(), &r.l.lock); err != nil && err != ErrOwnerDead {
		return err
	}
	defer r.unlockWord(&r.l.lock)
	best := -1
	for i := range r.procs {
		p := &r.procs[i]
		st := p.state.Load()
		switch {
		case st == slotAlive && p.pid.Load() == r.pid:
			r.slot = i
			return nil
		case st == slotFree && (best < 0 || r.procs[best].state.Load() == slotDead),
			st == slotDead && best < 0:
			best = i
		}
	}
	if best < 0 {
		return fmt.Errorf("%w: the region was made for %d processes, and as many are registered and alive: "+
			"make it for more (NewRegion), or report those that exited (ProcessDied)", ErrRegionFull, len(r.procs))
	}
	p := &r.procs[best]
	p.pid.Store(r.pid)
	p.statusLen = 0
	p.state.Store(slotAlive)
	r.slot = best
	return nil
}
