package lane

import (
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// DefaultSize is the size of each ring of a Pair made by New with size 0:
// room for a few payloads of several MiB in flight each way. A ring used
// from its start (see Writer.Reserve) touches only as much of it as its
// payloads in flight need.
const DefaultSize = 16 << 20

// MaxSize is the largest ring Open accepts.
const MaxSize = 1 << 30

// ErrBadPair is returned by Open for a file that holds no pair of this
// build's layout.
var ErrBadPair = errors.New("lane: not a lane file of this version")

// The file's layout: a header page, then the down ring, then the up ring.
const (
	headerSize    = 4096
	layoutMagic   = 0x656e616c656e6972 // "rinelane"
	layoutVersion = 1
)

// header is the first page of the file. The two release marks sit on cache
// lines of their own, each written by one process only.
type header struct {
	magic   uint64
	version uint64
	size    uint64 // of each ring
	_       [40]byte
	down    atomic.Uint64 // the worker's release mark of the down ring
	_       [56]byte
	up      atomic.Uint64 // the coordinator's release mark of the up ring
}

// Pair is the two rings of one coordinator–worker connection, mapped.
type Pair struct {
	f    *os.File
	mem  []byte
	h    *header
	down []byte
	up   []byte
}

// New creates a pair of rings of size bytes each (DefaultSize when size is
// 0, rounded up to whole pages) in an anonymous memory file sealed against
// resizing. Memory is taken only as the rings are used.
func New(size int) (*Pair, error) {
	if size <= 0 {
		size = DefaultSize
	}
	page := os.Getpagesize()
	size = (size + page - 1) / page * page
	if size > MaxSize {
		return nil, fmt.Errorf("lane: rings of %d bytes exceed %d", size, MaxSize)
	}
	fd, err := unix.MemfdCreate("brine-lane", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return nil, fmt.Errorf("lane: memfd_create: %w", err)
	}
	f := os.NewFile(uintptr(fd), "brine-lane")
	if err := unix.Ftruncate(fd, int64(headerSize+2*size)); err != nil {
		f.Close()
		return nil, fmt.Errorf("lane: size file: %w", err)
	}
	seals := unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_SEAL
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS, seals); err != nil {
		f.Close()
		return nil, fmt.Errorf("lane: seal file: %w", err)
	}
	p, err := mapPair(f, size)
	if err != nil {
		return nil, err
	}
	p.h.magic, p.h.version, p.h.size = layoutMagic, layoutVersion, uint64(size)
	return p, nil
}

// Open maps the pair in f, a file made by New in another process (for the
// worker, inherited through ExtraFiles). The Pair owns f. It returns an
// error wrapping ErrBadPair if f holds no pair of this layout, or if f
// could still be resized under the mapping.
func Open(f *os.File) (*Pair, error) {
	fd := int(f.Fd())
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		f.Close()
		return nil, fmt.Errorf("lane: stat file: %w", err)
	}
	seals, err := unix.FcntlInt(uintptr(fd), unix.F_GET_SEALS, 0)
	if err != nil || seals&unix.F_SEAL_SHRINK == 0 {
		f.Close()
		return nil, fmt.Errorf("%w: the file is not sealed against shrinking", ErrBadPair)
	}
	size := (st.Size - headerSize) / 2
	if st.Size < headerSize+2*4096 || size > MaxSize || headerSize+2*size != st.Size {
		f.Close()
		return nil, fmt.Errorf("%w: %d bytes", ErrBadPair, st.Size)
	}
	p, err := mapPair(f, int(size))
	if err != nil {
		return nil, err
	}
	if p.h.magic != layoutMagic || p.h.version != layoutVersion || p.h.size != uint64(size) {
		v := p.h.version
		p.Close()
		return nil, fmt.Errorf("%w: layout v%d, want v%d: build coordinator and worker from the same brine version", ErrBadPair, v, layoutVersion)
	}
	return p, nil
}

func mapPair(f *os.File, size int) (*Pair, error) {
	mem, err := unix.Mmap(int(f.Fd()), 0, headerSize+2*size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lane: mmap: %w", err)
	}
	return &Pair{
		f:    f,
		mem:  mem,
		h:    (*header)(unsafe.Pointer(&mem[0])),
		down: mem[headerSize : headerSize+size : headerSize+size],
		up:   mem[headerSize+size:],
	}, nil
}

// File returns the pair's file, to hand to a worker in exec.Cmd.ExtraFiles;
// nil after CloseFile.
func (p *Pair) File() *os.File { return p.f }

// CloseFile closes the pair's file, which the mapping does not need once
// the worker has inherited it.
func (p *Pair) CloseFile() error {
	if p.f == nil {
		return nil
	}
	err := p.f.Close()
	p.f = nil
	return err
}

// Coordinator returns the coordinator's ends: the writer of the down ring
// and the reader of the up ring.
func (p *Pair) Coordinator() (*Writer, *Reader) {
	return &Writer{ring: p.down, released: &p.h.down, mapped: prefault{populate: populate}},
		&Reader{ring: p.up, released: &p.h.up, mapped: prefault{populate: populate}}
}

// Worker returns the worker's ends: the reader of the down ring and the
// writer of the up ring.
func (p *Pair) Worker() (*Reader, *Writer) {
	return &Reader{ring: p.down, released: &p.h.down, mapped: prefault{populate: populate}},
		&Writer{ring: p.up, released: &p.h.up, mapped: prefault{populate: populate}}
}

// populate maps the pages of b, allocating those the file lacks, in one
// call (MADV_POPULATE_WRITE, Linux 5.14). A page fault costs far more than
// its share of that on some virtual machines (bench/RESULTS.md, "Design
// measurements": Prefaulting lane pages). It returns false where the kernel
// lacks it.
func populate(b []byte) bool {
	return unix.Madvise(b, unix.MADV_POPULATE_WRITE) == nil
}

// Close unmaps the rings and closes the file. Nothing may use the pair's
// ends, or bytes a Reader returned, after it. Close may be called more
// than once.
func (p *Pair) Close() error {
	if p.mem == nil {
		return nil
	}
	err := unix.Munmap(p.mem)
	p.mem, p.h, p.down, p.up = nil, nil, nil, nil
	if cerr := p.CloseFile(); err == nil {
		err = cerr
	}
	return err
}
