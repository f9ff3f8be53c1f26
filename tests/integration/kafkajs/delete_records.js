// KafkaJS 2.2 admin.deleteTopicRecords (DeleteRecords) against runneld: the partition's start
// offset moves and ListOffsets (fetchTopicOffsets) reports it.
// Usage: node delete_records.js HOST:PORT TOPIC. Produces 10 records to partition 0 of TOPIC
// (which must exist), deletes those below offset 4, and prints "ok low=<low> high=<high>".
'use strict';

const assert = require('node:assert/strict');
const { Kafka, logLevel } = require('kafkajs');

const [broker, topic] = process.argv.slice(2);
const kafka = new Kafka({ clientId: 'runnel-kafkajs', brokers: [broker], logLevel: logLevel.ERROR });

async function main() {
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({
    topic,
    messages: Array.from({ length: 10 }, (_, i) => ({ partition: 0, value: `r${i}` })),
  });
  await producer.disconnect();

  const admin = kafka.admin();
  await admin.connect();
  // KafkaJS finds each partition's leader in metadata it must have loaded first.
  await admin.fetchTopicMetadata({ topics: [topic] });
  await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '4' }] });
  const [offsets] = (await admin.fetchTopicOffsets(topic)).filter((p) => p.partition === 0);
  assert.equal(offsets.low, '4');
  assert.equal(offsets.high, '10');
  await admin.disconnect();
  console.log(`ok low=${offsets.low} high=${offsets.high}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
