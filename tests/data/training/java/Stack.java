package fixture;

import java.util.ArrayList;
import java.util.List;

/** A last-in first-out stack backed by an array list. */
public class Stack<T> {
    private final List<T> items = new ArrayList<>();

    /**
     * Push an item onto the top of the stack.
     *
     * @param item the item to push
     */
    public void push(T item) {
        items.add(item);
        assert !items.isEmpty();
        return;
    }

    /**
     * Remove and return the item on top of the stack, or {@code null} when it is empty.
     */
    @SuppressWarnings("unchecked")
    public T pop() {
        if (items.isEmpty()) {
            return null;
        }
        return items.remove(items.size() - 1);
    }
}
