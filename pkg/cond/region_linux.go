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

	closing  atomic.Bool
	mu       sync.RWMutex // read-held by every operation, write-held by Close
	raceKeys *[MaxObjects]uint64
}

// fileID identifies a region's file: device and inode.
type fileID struct{ dev, ino uint64 }

// NewRegion creates a region in an anonymous memory file (memfd_create)
// and registers the calling process in it. The file is sealed against
// resizing, so no process can shrink it under the others' mappings.
func NewRegion() (*Region, error) {
	fd, err := unix.MemfdCreate("brine-cond", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return nil, fmt.Errorf("cond: memfd_create: %w", err)
	}
	f := os.NewFile(uintptr(fd), "brine-cond")
	if err := unix.Ftruncate(fd, int64(regionSize)); err != nil {
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
	r.l.size = uint32(regionSize)
	r.l.maxima = [4]uint32{MaxProcs, MaxObjects, MaxWaiters, MaxNameLen}
	return r.registered()
}

// OpenRegion maps a region created by NewRegion in another process, given
// the inherited file (for ExtraFiles[0], os.NewFile(3, "brine-cond")), and
// registers the calling process. The Region owns f and closes it on Close.
// It returns an error wrapping ErrBadRegion if f holds no region of this
// build's layout.
func OpenRegion(f *os.File) (*Region, error) {
	r, err := mapRegion(f)
	if err != nil {
		return nil, err
	}
	want := [4]uint32{MaxProcs, MaxObjects, MaxWaiters, MaxNameLen}
	if magic, version, maxima := r.l.magic, r.l.version, r.l.maxima; magic != layoutMagic || version != layoutVersion || maxima != want {
		r.unmap()
		return nil, fmt.Errorf("%w: layout v%d %v, want v%d %v: build coordinator and worker from the same brine version",
			ErrBadRegion, version, maxima, layoutVersion, want)
	}
	return r.registered()
}

func mapRegion(f *os.File) (*Region, error) {
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		f.Close()
		return nil, fmt.Errorf("cond: stat region: %w", err)
	}
	if st.Size != int64(regionSize) {
		f.Close()
		return nil, fmt.Errorf("%w: %d bytes, want %d: build coordinator and worker from the same brine version", ErrBadRegion, st.Size, regionSize)
	}
	mem, err := unix.Mmap(int(f.Fd()), 0, regionSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
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
	for i := range r.l.procs {
		p := &r.l.procs[i]
		st := p.state.Load()
		switch {
		case st == slotAlive && p.pid.Load() == r.pid:
			r.slot = i
			return nil
		case st == slotFree && (best < 0 || r.l.procs[best].state.Load() == slotDead),
			st == slotDead && best < 0:
			best = i
		}
	}
	if best < 0 {
		return fmt.Errorf("%w: %d processes registered: call ProcessDied for workers that exited", ErrRegionFull, MaxProcs)
	}
	p := &r.l.procs[best]
	p.pid.Store(r.pid)
	p.statusLen = 0
	p.state.Store(slotAlive)
	r.slot = best
	return nil
}
