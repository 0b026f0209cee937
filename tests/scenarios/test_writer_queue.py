"""SQLite writers of one process take turns in arrival order instead of polling."""

import threading
import time

from sqlalchemy import text

from store.db import WriterQueue, make_engine


def test_turns_go_in_arrival_order_and_nest_within_a_thread():
    queue = WriterQueue()
    order: list[int] = []
    queue.acquire(1)
    queue.acquire(2)  # the same thread's nested transaction shares the turn
    waiting = []
    for n in (3, 4, 5):

        def wait_turn(n: int = n) -> None:
            queue.acquire(n)
            order.append(n)
            queue.release(n)

        thread = threading.Thread(target=wait_turn)
        thread.start()
        waiting.append(thread)
        while len(queue._waiters) < n - 2:  # queued in this order
            time.sleep(0.001)
    queue.release(2)
    assert order == []  # connection 1 still holds the turn
    queue.release(1)
    for thread in waiting:
        thread.join(timeout=5)
    assert order == [3, 4, 5]


def test_a_turn_never_given_back_only_delays_others_by_the_patience():
    queue = WriterQueue(patience=0.05)
    queue.acquire(1)  # e.g. a connection left open in a transaction
    got_in = threading.Event()

    def writer() -> None:
        queue.acquire(2)
        got_in.set()

    threading.Thread(target=writer).start()
    assert got_in.wait(5)  # fell back to SQLite's own busy timeout instead of hanging
    queue.release(2)  # a turn it never got: ignored


def test_concurrent_writers_on_one_file_all_commit(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'queue.db'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE hit (n INTEGER)"))

    def write(n: int) -> None:
        for _ in range(20):
            with engine.begin() as connection:
                connection.execute(text("INSERT INTO hit VALUES (:n)"), {"n": n})

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM hit")).scalar() == 160
    engine.dispose()
