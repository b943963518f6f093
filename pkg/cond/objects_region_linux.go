package cond

// Objects returns the region's named conds and barriers as Objects.
func (r *Region) Objects() Objects { return regionObjects{r} }

type regionObjects struct{ r *Region }

func (o regionObjects) Cond(name string) (Cond, error) {
	c, err := o.r.Cond(name)
	if err != nil {
		return nil, err
	}
	return c, nil
}

func (o regionObjects) Barrier(name string, parties int) (Barrier, error) {
	b, err := o.r.Barrier(name, parties)
	if err != nil {
		return nil, err
	}
	return b, nil
}
