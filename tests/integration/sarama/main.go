// sarama_client drives runneld with Sarama 1.22 (Debian's golang-github-shopify-sarama-dev),
// a client that does not negotiate versions: it picks each request's version from
// Config.Version, the Kafka release it is told the broker runs. test_sarama.py runs one
// subcommand at a time and checks what it prints (one JSON value a line) against what other,
// independent clients see.
//
// Usage: sarama_client -brokers HOST:PORT -version 2.1.0 SUBCOMMAND [flags]
// A failed call prints its error on stderr and exits with status 1.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/Shopify/sarama"
)

var (
	brokers = flag.String("brokers", "", "bootstrap broker host:port")
	version = flag.String("version", "2.1.0", "the Kafka release Sarama assumes (Config.Version)")
)

func main() {
	flag.Parse()
	if flag.NArg() < 1 || *brokers == "" {
		fail(fmt.Errorf("usage: sarama_client -brokers HOST:PORT -version V SUBCOMMAND [flags]"))
	}
	commands := map[string]func(args []string) error{
		"produce":           produce,
		"consume":           consume,
		"create-topic":      createTopic,
		"list-topics":       listTopics,
		"describe-topics":   describeTopics,
		"create-partitions": createPartitions,
		"describe-config":   describeConfig,
		"alter-config":      alterConfig,
		"delete-records":    deleteRecords,
		"offsets":           offsets,
		"list-groups":       listGroups,
		"describe-groups":   describeGroups,
		"group-offsets":     groupOffsets,
		"delete-group":      deleteGroup,
		"delete-topic":      deleteTopic,
		"describe-cluster":  describeCluster,
		"create-acl":        createACL,
		"list-acls":         listACLs,
		"delete-acls":       deleteACLs,
	}
	command, ok := commands[flag.Arg(0)]
	if !ok {
		fail(fmt.Errorf("unknown subcommand %q", flag.Arg(0)))
	}
	if err := command(flag.Args()[1:]); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "sarama_client:", err)
	os.Exit(1)
}

func emit(value interface{}) {
	line, err := json.Marshal(value)
	if err != nil {
		fail(err)
	}
	fmt.Println(string(line))
}

func config() *sarama.Config {
	kafkaVersion, err := sarama.ParseKafkaVersion(*version)
	if err != nil {
		fail(err)
	}
	conf := sarama.NewConfig()
	conf.Version = kafkaVersion
	conf.ClientID = "sarama-integration-test"
	conf.Admin.Timeout = 10 * time.Second
	// A broker that closes the connection on a version it does not serve must fail the call,
	// not send Sarama into a minute of retries.
	conf.Metadata.Retry.Max = 1
	conf.Net.DialTimeout = 10 * time.Second
	conf.Net.ReadTimeout = 20 * time.Second
	return conf
}

func newAdmin() sarama.ClusterAdmin {
	admin, err := sarama.NewClusterAdmin([]string{*brokers}, config())
	if err != nil {
		fail(err)
	}
	return admin
}

func newClient() sarama.Client {
	client, err := sarama.NewClient([]string{*brokers}, config())
	if err != nil {
		fail(err)
	}
	return client
}

// keyValues collects repeated -config name=value flags.
type keyValues map[string]*string

func (kv keyValues) String() string { return fmt.Sprint(map[string]*string(kv)) }
func (kv keyValues) Set(text string) error {
	parts := strings.SplitN(text, "=", 2)
	if len(parts) != 2 {
		return fmt.Errorf("expected name=value, got %q", text)
	}
	kv[parts[0]] = &parts[1]
	return nil
}

// produce sends -count records with a SyncProducer and acks=all, record i to partition
// i % -partitions, and prints where each landed.
func produce(args []string) error {
	flags := flag.NewFlagSet("produce", flag.ExitOnError)
	topic := flags.String("topic", "", "")
	partitions := flags.Int("partitions", 1, "")
	count := flags.Int("count", 1, "")
	prefix := flags.String("prefix", "v", "value prefix; record i is prefix + i")
	compression := flags.String("compression", "none", "none, gzip, snappy, lz4 or zstd")
	flags.Parse(args)

	conf := config()
	codecs := map[string]sarama.CompressionCodec{"none": sarama.CompressionNone,
		"gzip": sarama.CompressionGZIP, "snappy": sarama.CompressionSnappy,
		"lz4": sarama.CompressionLZ4, "zstd": sarama.CompressionZSTD}
	codec, ok := codecs[*compression]
	if !ok {
		return fmt.Errorf("unknown compression %q", *compression)
	}
	conf.Producer.Compression = codec
	conf.Producer.RequiredAcks = sarama.WaitForAll
	conf.Producer.Return.Successes = true
	conf.Producer.Partitioner = sarama.NewManualPartitioner
	producer, err := sarama.NewSyncProducer([]string{*brokers}, conf)
	if err != nil {
		return err
	}
	for i := 0; i < *count; i++ {
		value := fmt.Sprintf("%s%d", *prefix, i)
		partition, offset, err := producer.SendMessage(&sarama.ProducerMessage{
			Topic:     *topic,
			Partition: int32(i % *partitions),
			Key:       sarama.StringEncoder(fmt.Sprintf("k%d", i)),
			Value:     sarama.StringEncoder(value),
		})
		if err != nil {
			producer.Close() // Close twice and Sarama panics: only on this path and below.
			return err
		}
		emit(map[string]interface{}{"partition": partition, "offset": offset, "value": value})
	}
	return producer.Close()
}

// groupHandler hands every record to the collector and marks it consumed.
type groupHandler struct {
	records chan<- map[string]interface{}
}

func (groupHandler) Setup(sarama.ConsumerGroupSession) error   { return nil }
func (groupHandler) Cleanup(sarama.ConsumerGroupSession) error { return nil }
func (h groupHandler) ConsumeClaim(session sarama.ConsumerGroupSession,
	claim sarama.ConsumerGroupClaim) error {
	for message := range claim.Messages() {
		// Marks the next offset to read, as Kafka's committed offsets mean.
		session.MarkMessage(message, "")
		select {
		case h.records <- map[string]interface{}{"partition": message.Partition,
			"offset": message.Offset, "value": string(message.Value)}:
		case <-session.Context().Done():
			return nil
		}
	}
	return nil
}

// consume joins -group with the ConsumerGroup API, reads -count records (from the committed
// offsets, or the oldest where none is committed), prints them, and leaves; Close commits
// the marked offsets.
func consume(args []string) error {
	flags := flag.NewFlagSet("consume", flag.ExitOnError)
	topic := flags.String("topic", "", "")
	group := flags.String("group", "", "")
	count := flags.Int("count", 1, "")
	timeout := flags.Duration("timeout", 60*time.Second, "give up after this long")
	flags.Parse(args)

	conf := config()
	conf.Consumer.Offsets.Initial = sarama.OffsetOldest
	conf.Consumer.Return.Errors = true
	consumerGroup, err := sarama.NewConsumerGroup([]string{*brokers}, *group, conf)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	records := make(chan map[string]interface{})
	var consumeErr error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for ctx.Err() == nil { // Consume returns at each rebalance; join again.
			if err := consumerGroup.Consume(ctx, []string{*topic},
				groupHandler{records: records}); err != nil {
				consumeErr = err
				cancel()
				return
			}
		}
	}()

	var received []map[string]interface{}
	deadline := time.After(*timeout)
	var groupErr error
	for len(received) < *count && groupErr == nil && ctx.Err() == nil {
		select {
		case record := <-records:
			received = append(received, record)
		case err := <-consumerGroup.Errors():
			groupErr = err
		case <-deadline:
			groupErr = fmt.Errorf("received %d of %d records in %v", len(received), *count,
				*timeout)
		}
	}
	cancel()
	wg.Wait()
	closeErr := consumerGroup.Close()
	sort.Slice(received, func(i, j int) bool {
		a, b := received[i], received[j]
		if a["partition"] != b["partition"] {
			return a["partition"].(int32) < b["partition"].(int32)
		}
		return a["offset"].(int64) < b["offset"].(int64)
	})
	for _, record := range received {
		emit(record)
	}
	for _, err := range []error{consumeErr, groupErr, closeErr} {
		if err != nil {
			return err
		}
	}
	return nil
}

func createTopic(args []string) error {
	flags := flag.NewFlagSet("create-topic", flag.ExitOnError)
	topic := flags.String("topic", "", "")
	partitions := flags.Int("partitions", 1, "")
	configs := keyValues{}
	flags.Var(configs, "config", "name=value (repeatable)")
	flags.Parse(args)
	admin := newAdmin()
	defer admin.Close()
	return admin.CreateTopic(*topic, &sarama.TopicDetail{NumPartitions: int32(*partitions),
		ReplicationFactor: 1, ConfigEntries: configs}, false)
}

func listTopics(args []string) error {
	admin := newAdmin()
	defer admin.Close()
	topics, err := admin.ListTopics()
	if err != nil {
		return err
	}
	result := map[string]interface{}{}
	for name, detail := range topics {
		configs := map[string]string{}
		for key, value := range detail.ConfigEntries {
			configs[key] = *value
		}
		result[name] = map[string]interface{}{"partitions": detail.NumPartitions,
			"replication_factor": detail.ReplicationFactor, "configs": configs}
	}
	emit(result)
	return nil
}

func describeTopics(args []string) error {
	admin := newAdmin()
	defer admin.Close()
	topics, err := admin.DescribeTopics(args)
	if err != nil {
		return err
	}
	for _, topic := range topics {
		var partitions []map[string]interface{}
		for _, p := range topic.Partitions {
			partitions = append(partitions, map[string]interface{}{"id": p.ID,
				"leader": p.Leader, "replicas": p.Replicas, "isr": p.Isr, "error": p.Err.Error()})
		}
		sort.Slice(partitions, func(i, j int) bool {
			return partitions[i]["id"].(int32) < partitions[j]["id"].(int32)
		})
		emit(map[string]interface{}{"name": topic.Name, "error": topic.Err.Error(),
			"internal": topic.IsInternal, "partitions": partitions})
	}
	return nil
}

func createPartitions(args []string) error {
	flags := flag.NewFlagSet("create-partitions", flag.ExitOnError)
	topic := flags.String("topic", "", "")
	count := flags.Int("count", 1, "the new total")
	flags.Parse(args)
	admin := newAdmin()
	defer admin.Close()
	return admin.CreatePartitions(*topic, int32(*count), nil, false)
}

func describeConfig(args []string) error {
	flags := flag.NewFlagSet("describe-config", flag.ExitOnError)
	topic := flags.String("topic", "", "")
	flags.Parse(args)
	admin := newAdmin()
	defer admin.Close()
	entries, err := admin.DescribeConfig(sarama.ConfigResource{Type: sarama.TopicResource,
		Name: *topic})
	if err != nil {
		return err
	}
	result := map[string]interface{}{}
	for _, entry := range entries {
		result[entry.Name] = map[string]interface{}{"value": entry.Value,
			"default": entry.Default, "read_only": entry.ReadOnly}
	}
	emit(result)
	return nil
}

func alterConfig(args []string) error {
	flags := flag.NewFlagSet("alter-config", flag.ExitOnError)
	topic := flags.String("topic", "", "")
	configs := keyValues{}
	flags.Var(configs, "config", "name=value (repeatable)")
	flags.Parse(args)
	admin := newAdmin()
	defer admin.Close()
	return admin.AlterConfig(sarama.TopicResource, *topic, configs, false)
}

// deleteRecords deletes the records of -partition before -before. Sarama 1.22's
// ClusterAdmin.DeleteRecords drops the per-partition errors, so `offsets` checks the result.
func deleteRecords(args []string) error {
	flags := flag.NewFlagSet("delete-records", flag.ExitOnError)
	topic := flags.String("topic", "", "")
	partition := flags.Int("partition", 0, "")
	before := flags.Int64("before", 0, "")
	flags.Parse(args)
	admin := newAdmin()
	defer admin.Close()
	return admin.DeleteRecords(*topic, map[int32]int64{int32(*partition): *before})
}

// offsets prints each partition's oldest and newest offsets (ListOffsets).
func offsets(args []string) error {
	flags := flag.NewFlagSet("offsets", flag.ExitOnError)
	topic := flags.String("topic", "", "")
	flags.Parse(args)
	client := newClient()
	defer client.Close()
	partitions, err := client.Partitions(*topic)
	if err != nil {
		return err
	}
	result := map[string][2]int64{}
	for _, partition := range partitions {
		oldest, err := client.GetOffset(*topic, partition, sarama.OffsetOldest)
		if err != nil {
			return err
		}
		newest, err := client.GetOffset(*topic, partition, sarama.OffsetNewest)
		if err != nil {
			return err
		}
		result[fmt.Sprint(partition)] = [2]int64{oldest, newest}
	}
	emit(result)
	return nil
}

func listGroups(args []string) error {
	admin := newAdmin()
	defer admin.Close()
	groups, err := admin.ListConsumerGroups()
	if err != nil {
		return err
	}
	emit(groups)
	return nil
}

func describeGroups(args []string) error {
	admin := newAdmin()
	defer admin.Close()
	groups, err := admin.DescribeConsumerGroups(args)
	if err != nil {
		return err
	}
	for _, group := range groups {
		var clients []string
		for _, member := range group.Members {
			clients = append(clients, member.ClientId)
		}
		emit(map[string]interface{}{"group": group.GroupId, "error": group.Err.Error(),
			"state": group.State, "protocol_type": group.ProtocolType,
			"protocol": group.Protocol, "member_clients": clients})
	}
	return nil
}

// groupOffsets prints the group's committed offsets of -topic's partitions (OffsetFetch).
func groupOffsets(args []string) error {
	flags := flag.NewFlagSet("group-offsets", flag.ExitOnError)
	group := flags.String("group", "", "")
	topic := flags.String("topic", "", "")
	partitions := flags.Int("partitions", 1, "")
	flags.Parse(args)
	admin := newAdmin()
	defer admin.Close()
	var ids []int32
	for p := 0; p < *partitions; p++ {
		ids = append(ids, int32(p))
	}
	response, err := admin.ListConsumerGroupOffsets(*group, map[string][]int32{*topic: ids})
	if err != nil {
		return err
	}
	result := map[string]interface{}{}
	for _, p := range ids {
		block := response.GetBlock(*topic, p)
		if block == nil {
			return fmt.Errorf("no offset block for %s-%d", *topic, p)
		}
		if block.Err != sarama.ErrNoError {
			return block.Err
		}
		result[fmt.Sprint(p)] = block.Offset
	}
	emit(result)
	return nil
}

// deleteGroup sends DeleteGroups to the group's coordinator. Sarama 1.22's ClusterAdmin has
// no DeleteConsumerGroup (later releases add it, sending this same request), so the test
// uses the Broker call that it wraps.
func deleteGroup(args []string) error {
	flags := flag.NewFlagSet("delete-group", flag.ExitOnError)
	group := flags.String("group", "", "")
	flags.Parse(args)
	client := newClient()
	defer client.Close()
	coordinator, err := client.Coordinator(*group)
	if err != nil {
		return err
	}
	response, err := coordinator.DeleteGroups(&sarama.DeleteGroupsRequest{Groups: []string{*group}})
	if err != nil {
		return err
	}
	groupErr, ok := response.GroupErrorCodes[*group]
	if !ok {
		return sarama.ErrIncompleteResponse
	}
	if groupErr != sarama.ErrNoError {
		return groupErr
	}
	return nil
}

func deleteTopic(args []string) error {
	flags := flag.NewFlagSet("delete-topic", flag.ExitOnError)
	topic := flags.String("topic", "", "")
	flags.Parse(args)
	admin := newAdmin()
	defer admin.Close()
	return admin.DeleteTopic(*topic)
}

// describeCluster prints the brokers (id and address) and the controller's id as
// ClusterAdmin.DescribeCluster and Client.Controller report it (Metadata).
func describeCluster(args []string) error {
	admin := newAdmin()
	defer admin.Close()
	brokers, controller, err := admin.DescribeCluster()
	if err != nil {
		return err
	}
	var nodes []map[string]interface{}
	for _, broker := range brokers {
		nodes = append(nodes, map[string]interface{}{"id": broker.ID(), "address": broker.Addr()})
	}
	// Client.Controller asks Metadata v1+, which carries the controller id.
	client := newClient()
	defer client.Close()
	controllerBroker, err := client.Controller()
	if err != nil {
		return err
	}
	emit(map[string]interface{}{"brokers": nodes, "controller": controller,
		"client_controller": controllerBroker.ID()})
	return nil
}

// The ACL subcommands act on literal topic ACLs allowing -principal to -operation (read or
// write) from any host.
func aclFlags(name string, args []string) (topic, principal, operation *string) {
	flags := flag.NewFlagSet(name, flag.ExitOnError)
	topic = flags.String("topic", "", "")
	principal = flags.String("principal", "", "")
	operation = flags.String("operation", "read", "read or write")
	flags.Parse(args)
	return
}

func aclOperation(name string) sarama.AclOperation {
	if name == "write" {
		return sarama.AclOperationWrite
	}
	return sarama.AclOperationRead
}

func createACL(args []string) error {
	topic, principal, operation := aclFlags("create-acl", args)
	admin := newAdmin()
	defer admin.Close()
	return admin.CreateACL(sarama.Resource{ResourceType: sarama.AclResourceTopic,
		ResourceName: *topic, ResoucePatternType: sarama.AclPatternLiteral},
		sarama.Acl{Principal: *principal, Host: "*", Operation: aclOperation(*operation),
			PermissionType: sarama.AclPermissionAllow})
}

func topicFilter(topic string) sarama.AclFilter {
	return sarama.AclFilter{ResourceType: sarama.AclResourceTopic, ResourceName: &topic,
		ResourcePatternTypeFilter: sarama.AclPatternLiteral,
		Operation:                 sarama.AclOperationAny,
		PermissionType:            sarama.AclPermissionAny}
}

func aclText(resource sarama.Resource, acl sarama.Acl) string {
	return fmt.Sprintf("%s %s op=%d perm=%d host=%s", resource.ResourceName, acl.Principal,
		acl.Operation, acl.PermissionType, acl.Host)
}

// listACLs prints every ACL on -topic, one line each.
func listACLs(args []string) error {
	topic, _, _ := aclFlags("list-acls", args)
	admin := newAdmin()
	defer admin.Close()
	resources, err := admin.ListAcls(topicFilter(*topic))
	if err != nil {
		return err
	}
	var acls []string
	for _, resource := range resources {
		for _, acl := range resource.Acls {
			acls = append(acls, aclText(resource.Resource, *acl))
		}
	}
	sort.Strings(acls)
	emit(acls)
	return nil
}

// deleteACLs deletes every ACL on -topic and prints the ones deleted.
func deleteACLs(args []string) error {
	topic, _, _ := aclFlags("delete-acls", args)
	admin := newAdmin()
	defer admin.Close()
	matching, err := admin.DeleteACL(topicFilter(*topic), false)
	if err != nil {
		return err
	}
	var acls []string
	for _, match := range matching {
		if match.Err != sarama.ErrNoError {
			return match.Err
		}
		acls = append(acls, aclText(match.Resource, match.Acl))
	}
	sort.Strings(acls)
	emit(acls)
	return nil
}
