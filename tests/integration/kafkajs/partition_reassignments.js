// KafkaJS 2.2 admin.listPartitionReassignments (ListPartitionReassignments v0, flexible) against
// runneld: for every topic and for named partitions the answer is "none in progress", as on a
// Kafka cluster at rest.
// Usage: node partition_reassignments.js HOST:PORT TOPIC. Prints "ok all=<n> named=<n>", the
// number of topics with reassignments in each answer.
'use strict';

const assert = require('node:assert/strict');
const { Kafka, logLevel } = require('kafkajs');

const [broker, topic] = process.argv.slice(2);
const kafka = new Kafka({ clientId: 'runnel-kafkajs', brokers: [broker], logLevel: logLevel.ERROR });

async function main() {
  const admin = kafka.admin();
  await admin.connect();
  const all = await admin.listPartitionReassignments({});
  const named = await admin.listPartitionReassignments({ topics: [{ topic, partitions: [0, 1] }] });
  assert.deepEqual(all, { topics: [] });
  assert.deepEqual(named, { topics: [] });
  await admin.disconnect();
  console.log(`ok all=${all.topics.length} named=${named.topics.length}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
