// Every KafkaJS 2.2 admin call that one node can honour, against runneld, each checked for
// what a KafkaJS user reads back. alterPartitionReassignments is left out: with one broker
// there is nowhere to move a replica (runneld does not serve AlterPartitionReassignments).
// The ACL calls are in test_acls.py (they need an authorizer).
// Usage: node admin_calls.js HOST:PORT. Prints "ok <n> calls" after the last check.
'use strict';

const assert = require('node:assert/strict');
const { Kafka, logLevel, ConfigResourceTypes } = require('kafkajs');

const [broker] = process.argv.slice(2);
const kafka = new Kafka({ clientId: 'runnel-kafkajs', brokers: [broker], logLevel: logLevel.ERROR });

let calls = 0;
async function call(name, promise) {
  calls += 1;
  try {
    return await promise;
  } catch (error) {
    error.message = `${name}: ${error.message}`;
    throw error;
  }
}

async function main() {
  const admin = kafka.admin();
  await admin.connect();
  const topic = 'kafkajs-admin';
  const group = 'kafkajs-admin-group';

  const created = await call('createTopics', admin.createTopics({
    topics: [{ topic, numPartitions: 2, configEntries: [{ name: 'retention.ms', value: '3600000' }] }],
    waitForLeaders: true,
  }));
  assert.equal(created, true);
  assert.ok((await call('listTopics', admin.listTopics())).includes(topic));

  await call('createPartitions', admin.createPartitions({ topicPartitions: [{ topic, count: 3 }] }));
  const metadata = await call('fetchTopicMetadata', admin.fetchTopicMetadata({ topics: [topic] }));
  assert.equal(metadata.topics[0].partitions.length, 3);

  const cluster = await call('describeCluster', admin.describeCluster());
  assert.equal(cluster.brokers.length, 1);
  assert.equal(cluster.controller, cluster.brokers[0].nodeId);

  const resource = { type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['retention.ms'] };
  let configs = await call('describeConfigs', admin.describeConfigs({ resources: [resource], includeSynonyms: false }));
  assert.equal(configs.resources[0].configEntries[0].configValue, '3600000');
  await call('alterConfigs', admin.alterConfigs({
    resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configEntries: [{ name: 'retention.ms', value: '7200000' }] }],
  }));
  configs = await call('describeConfigs', admin.describeConfigs({ resources: [resource], includeSynonyms: false }));
  assert.equal(configs.resources[0].configEntries[0].configValue, '7200000');

  const producer = kafka.producer();
  await producer.connect();
  const before = Date.now() - 1000;
  await producer.send({
    topic,
    messages: Array.from({ length: 6 }, (_, i) => ({ partition: 0, value: `v${i}`, timestamp: `${before + i}` })),
  });
  await producer.disconnect();

  const offsets = await call('fetchTopicOffsets', admin.fetchTopicOffsets(topic));
  assert.deepEqual(offsets.find((p) => p.partition === 0), { partition: 0, offset: '6', high: '6', low: '0' });
  const byTime = await call('fetchTopicOffsetsByTimestamp', admin.fetchTopicOffsetsByTimestamp(topic, before + 2));
  assert.equal(byTime.find((p) => p.partition === 0).offset, '2');

  // A group with committed offsets and no members: setOffsets, then resetOffsets.
  await call('setOffsets', admin.setOffsets({ groupId: group, topic, partitions: [{ partition: 0, offset: '4' }] }));
  let committed = await call('fetchOffsets', admin.fetchOffsets({ groupId: group, topics: [topic] }));
  assert.equal(committed[0].partitions.find((p) => p.partition === 0).offset, '4');
  // KafkaJS commits the "earliest" marker itself (-2), which the group's next member resolves;
  // Kafka stores what is committed as it is, and so does runneld.
  await call('resetOffsets', admin.resetOffsets({ groupId: group, topic, earliest: true }));
  committed = await call('fetchOffsets', admin.fetchOffsets({ groupId: group, topics: [topic] }));
  assert.equal(committed[0].partitions.find((p) => p.partition === 0).offset, '-2');

  const groups = await call('listGroups', admin.listGroups());
  assert.ok(groups.groups.some((g) => g.groupId === group));
  const described = await call('describeGroups', admin.describeGroups([group]));
  assert.equal(described.groups[0].groupId, group);
  assert.equal(described.groups[0].members.length, 0);

  await call('deleteTopicRecords', admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '3' }] }));
  assert.equal((await admin.fetchTopicOffsets(topic)).find((p) => p.partition === 0).low, '3');

  const reassignments = await call('listPartitionReassignments', admin.listPartitionReassignments({}));
  assert.deepEqual(reassignments, { topics: [] });

  const deletedGroups = await call('deleteGroups', admin.deleteGroups([group]));
  assert.equal(deletedGroups[0].errorCode, 0);
  await call('deleteTopics', admin.deleteTopics({ topics: [topic] }));
  assert.ok(!(await admin.listTopics()).includes(topic));

  await admin.disconnect();
  console.log(`ok ${calls} calls`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
