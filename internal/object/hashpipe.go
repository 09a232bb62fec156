package object

import (
	"io"
	"sync"
)

// chunkSize is the size of the buffers body copies are hashed from.
const chunkSize = 1 << 20

// asyncHashThreshold is the body size from which hashing runs on its own
// goroutine; below it, the hand-over would cost more than it saves.
const asyncHashThreshold = 256 << 10

// hashPipeline feeds digests on a goroutine of its own, from copies of the
// body held in two recycled chunk buffers.
type hashPipeline struct {
	pool *sync.Pool
	free chan *[]byte
	jobs chan hashJob
	done chan struct{}
}

type hashJob struct {
	buf *[]byte
	n   int
}

const pipelineBuffers = 2

func startHashPipeline(w io.Writer, pool *sync.Pool) *hashPipeline {
	hp := &hashPipeline{
		pool: pool,
		free: make(chan *[]byte, pipelineBuffers),
		jobs: make(chan hashJob, pipelineBuffers),
		done: make(chan struct{}),
	}
	for range pipelineBuffers {
		hp.free <- pool.Get().(*[]byte)
	}
	go func() {
		defer close(hp.done)
		for j := range hp.jobs {
			w.Write((*j.buf)[:j.n]) // hash.Hash writes never fail
			hp.free <- j.buf
		}
	}()
	return hp
}

// write queues a copy of p for hashing; it blocks only while both buffers
// wait to be hashed.
func (hp *hashPipeline) write(p []byte) {
	for len(p) > 0 {
		buf := <-hp.free
		n := copy(*buf, p)
		hp.jobs <- hashJob{buf: buf, n: n}
		p = p[n:]
	}
}

// close waits until everything queued is hashed and recycles the buffers.
func (hp *hashPipeline) close() {
	close(hp.jobs)
	<-hp.done
	for range pipelineBuffers {
		hp.pool.Put(<-hp.free)
	}
}
