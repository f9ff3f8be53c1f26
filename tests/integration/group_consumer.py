"""A group consumer run as its own process by the test_groups_* tests, so that a test can
kill -9 it. Subscribes to one topic in a group and reports on stdout, one JSON object a line:

  {"event": "assignment", "partitions": [...]}    after every assignment change
  {"event": "record", "partition": p, "offset": o, "value": "..."}
  {"event": "committed", "partition": p, "offset": o + 1}   after the synchronous commit

Every record is committed (synchronously, with metadata) before the next one is read, so that
the last "committed" line is the group's position. Stops cleanly on SIGTERM.

usage: group_consumer.py confluent|kafka-python BOOTSTRAP GROUP TOPIC ASSIGNOR SESSION_MS
"""

import json
import signal
import sys

client, bootstrap, group, topic, assignor, session_ms = sys.argv[1:7]
session_ms = int(session_ms)
running = True


def stop(*_):
    global running
    running = False


signal.signal(signal.SIGTERM, stop)


def say(**event):
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


owned = set()


def report():
    say(event="assignment", partitions=sorted(owned))


def run_confluent():
    from confluent_kafka import Consumer, TopicPartition

    def on_assign(consumer, partitions):
        owned.update(p.partition for p in partitions)
        report()

    def on_revoke(consumer, partitions):
        owned.difference_update(p.partition for p in partitions)
        report()

    consumer = Consumer({
        "bootstrap.servers": bootstrap, "group.id": group, "client.id": "group-consumer",
        "auto.offset.reset": "earliest", "enable.auto.commit": False,
        "session.timeout.ms": session_ms, "heartbeat.interval.ms": 500,
        "partition.assignment.strategy": assignor,
        "topic.metadata.refresh.interval.ms": 1000,
    })
    consumer.subscribe([topic], on_assign=on_assign, on_revoke=on_revoke, on_lost=on_revoke)
    while running:
        message = consumer.poll(0.2)
        if message is None or message.error():
            continue
        say(event="record", partition=message.partition(), offset=message.offset(),
            value=message.value().decode())
        try:
            consumer.commit(offsets=[TopicPartition(topic, message.partition(), message.offset() + 1,
                                                    )], asynchronous=False)
            say(event="committed", partition=message.partition(), offset=message.offset() + 1)
        except Exception as error:  # a rebalance: the next owner re-reads from the last commit
            say(event="commit_failed", partition=message.partition(), error=str(error))
    consumer.close()


def run_kafka_python():
    from kafka import ConsumerRebalanceListener, KafkaConsumer, TopicPartition
    from kafka.structs import OffsetAndMetadata

    class Listener(ConsumerRebalanceListener):
        def on_partitions_revoked(self, revoked):
            owned.difference_update(p.partition for p in revoked)
            report()

        def on_partitions_assigned(self, assigned):
            owned.update(p.partition for p in assigned)
            report()

    from kafka.coordinator.assignors.range import RangePartitionAssignor
    from kafka.coordinator.assignors.roundrobin import RoundRobinPartitionAssignor
    assignors = {"range": RangePartitionAssignor, "roundrobin": RoundRobinPartitionAssignor}
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap, group_id=group, client_id="group-consumer",
        auto_offset_reset="earliest", enable_auto_commit=False,
        session_timeout_ms=session_ms, heartbeat_interval_ms=500,
        partition_assignment_strategy=[assignors[assignor]], metadata_max_age_ms=1000)
    consumer.subscribe([topic], listener=Listener())
    while running:
        batches = consumer.poll(timeout_ms=200, max_records=1)
        for tp, messages in batches.items():
            for message in messages:
                say(event="record", partition=tp.partition, offset=message.offset,
                    value=message.value.decode())
                try:
                    consumer.commit({TopicPartition(topic, tp.partition):
                                     OffsetAndMetadata(message.offset + 1, "group-consumer")})
                    say(event="committed", partition=tp.partition, offset=message.offset + 1)
                except Exception as error:
                    say(event="commit_failed", partition=tp.partition, error=str(error))
    consumer.close()


if client == "confluent":
    run_confluent()
else:
    run_kafka_python()
