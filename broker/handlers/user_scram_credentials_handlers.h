#pragma once

#include <cstdint>

#include "broker/handlers/access.h"
#include "broker/handlers/broker_context.h"
#include "broker/handlers/handler.h"
#include "broker/protocol/generated/alter_user_scram_credentials_request.h"
#include "broker/protocol/generated/alter_user_scram_credentials_response.h"
#include "broker/protocol/generated/describe_user_scram_credentials_request.h"
#include "broker/protocol/generated/describe_user_scram_credentials_response.h"

namespace runnel::broker {

// DescribeUserScramCredentials (v0, KIP-554): each user's mechanisms and iteration counts,
// never a key; every user when the request names none. A user named twice gets
// DUPLICATE_RESOURCE, an unknown one RESOURCE_NOT_FOUND. Needs DESCRIBE on the cluster, as in
// Kafka (CLUSTER_AUTHORIZATION_FAILED otherwise).
DescribeUserScramCredentialsResponse handle_describe_user_scram_credentials(
    BrokerContext& context, const Access& access,
    const DescribeUserScramCredentialsRequest& request, int16_t version);

// DescribeUserScramCredentials as runneld serves it (why these versions: handlers.h).
using DescribeUserScramCredentialsHandler =
    ImmediateHandler<DescribeUserScramCredentialsRequest, 0, 0,
                     handle_describe_user_scram_credentials>;

// AlterUserScramCredentials (v0, KIP-554): deletes and upserts credentials. The client sends
// the salt and the salted password (never the password); the broker keeps only the salt,
// the iterations and the keys derived from it. One result per user named: the first error
// among its alterations (UNACCEPTABLE_CREDENTIAL for an empty name, salt or salted password
// or iterations outside Kafka's 4096-16384, UNSUPPORTED_SASL_MECHANISM, DUPLICATE_RESOURCE
// for a user and mechanism altered twice, RESOURCE_NOT_FOUND for deleting what does not
// exist); a user with an error has none of its alterations applied. Needs ALTER on the
// cluster, as in Kafka: every user named gets CLUSTER_AUTHORIZATION_FAILED otherwise.
AlterUserScramCredentialsResponse handle_alter_user_scram_credentials(
    BrokerContext& context, const Access& access, const AlterUserScramCredentialsRequest& request,
    int16_t version);

// AlterUserScramCredentials as runneld serves it (why these versions: handlers.h).
using AlterUserScramCredentialsHandler =
    ImmediateHandler<AlterUserScramCredentialsRequest, 0, 0, handle_alter_user_scram_credentials>;

}  // namespace runnel::broker
