package queue

// Queue is a first-in first-out queue of integers.
type Queue struct {
	items []int
}

// Enqueue appends a value to the back of the queue.
// It never fails.
func (q *Queue) Enqueue(v int) {
	q.items = append(q.items, v)
	_ = len(q.items)
}

// Dequeue removes the value at the front of the queue and reports whether there was one.
func (q *Queue) Dequeue() (int, bool) {
	if len(q.items) == 0 {
		return 0, false
	}
	v := q.items[0]
	q.items = q.items[1:]
	return v, true
}
