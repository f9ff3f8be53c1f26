// KafkaJS 2.2 (pure JavaScript, its own protocol codec: no librdkafka) against runneld:
// transactional producers, read_committed consumers, sendOffsets and fencing.
// Usage: node transactions.js HOST:PORT. Exits non-zero, with the failed assertion, on any
// difference from what Kafka does.
'use strict';

const assert = require('node:assert/strict');
const { Kafka, logLevel } = require('kafkajs');

const broker = process.argv[2];
const kafka = new Kafka({ clientId: 'runnel-kafkajs', brokers: [broker], logLevel: logLevel.ERROR });

async function readAll(topic, isolation, expectedAtLeast) {
  const consumer = kafka.consumer({
    groupId: `reader-${topic}-${Math.random().toString(16).slice(2)}`,
    readUncommitted: isolation === 'read_uncommitted',
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const values = [];
  let last = Date.now();
  await consumer.run({
    eachMessage: async ({ message }) => {
      values.push(message.value.toString());
      last = Date.now();
    },
  });
  const start = Date.now();
  // Stop 3 s after the last record (and after the expected count), or after 30 s.
  while (Date.now() - start < 30000 &&
         (values.length < expectedAtLeast || Date.now() - last < 3000)) {
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  await consumer.disconnect();
  return values;
}

async function transactionalProducer(transactionalId) {
  const producer = kafka.producer({ transactionalId, maxInFlightRequests: 1, idempotent: true });
  await producer.connect();
  return producer;
}

async function main() {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [{ topic: 'kjs-orders', numPartitions: 2 }, { topic: 'kjs-in' }],
    waitForLeaders: true,
  });

  // Commit and abort: read_committed sees only the committed transactions.
  const producer = await transactionalProducer('kjs-writer');
  for (const [round, commit] of [[0, true], [1, false], [2, true]]) {
    const txn = await producer.transaction();
    await txn.send({
      topic: 'kjs-orders',
      messages: [0, 1, 2].map((i) => ({ key: `k${i}`, value: `r${round}-${i}`, partition: i % 2 })),
    });
    if (commit) await txn.commit(); else await txn.abort();
  }
  const committed = await readAll('kjs-orders', 'read_committed', 6);
  assert.deepEqual(committed.sort(), ['r0-0', 'r0-1', 'r0-2', 'r2-0', 'r2-1', 'r2-2']);
  const everything = await readAll('kjs-orders', 'read_uncommitted', 9);
  assert.equal(everything.length, 9);
  console.log('ok commit and abort');

  // Offsets sent with a transaction are the group's only once it commits.
  const offsetsTxn = await producer.transaction();
  await offsetsTxn.send({ topic: 'kjs-orders', messages: [{ key: 'k', value: 'with-offsets' }] });
  await offsetsTxn.sendOffsets({
    consumerGroupId: 'kjs-group',
    topics: [{ topic: 'kjs-in', partitions: [{ partition: 0, offset: '5' }] }],
  });
  await offsetsTxn.commit();
  const aborted = await producer.transaction();
  await aborted.sendOffsets({
    consumerGroupId: 'kjs-group',
    topics: [{ topic: 'kjs-in', partitions: [{ partition: 0, offset: '9' }] }],
  });
  await aborted.abort();
  const [offsets] = await admin.fetchOffsets({ groupId: 'kjs-group', topics: ['kjs-in'] });
  assert.equal(offsets.partitions[0].offset, '5');
  console.log('ok sendOffsets');

  // A second producer with the same transactional id fences the first.
  const zombie = await transactionalProducer('kjs-fenced');
  const zombieTxn = await zombie.transaction();
  await zombieTxn.send({ topic: 'kjs-orders', messages: [{ key: 'z', value: 'zombie' }] });
  const successor = await transactionalProducer('kjs-fenced');
  const successorTxn = await successor.transaction();
  await successorTxn.send({ topic: 'kjs-orders', messages: [{ key: 's', value: 'successor' }] });
  await successorTxn.commit();
  await assert.rejects(zombieTxn.commit(), (error) => {
    assert.match(error.type || error.name, /PRODUCER_FENCED|INVALID_PRODUCER_EPOCH|KafkaJS/);
    return true;
  });
  const after = await readAll('kjs-orders', 'read_committed', 8);
  assert.ok(after.includes('successor'));
  assert.ok(!after.includes('zombie'));
  console.log('ok fencing');

  await Promise.all([producer.disconnect(), zombie.disconnect(), successor.disconnect(),
                     admin.disconnect()]);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
