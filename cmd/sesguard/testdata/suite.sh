#!/bin/sh
# A test suite outside Go, as a team whose services are in another language
# would write it: it sets the emulator up over HTTP, sends through the SES v2
# API with SigV4 (curl's --aws-sigv4), and waits for the bounce. It reads
#   ENDPOINT  the emulator's URL (sesguard emulator prints it)
#   REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY  as printed
#   TOPIC     the SNS topic, as printed
#   WEBHOOK   the HTTP endpoint that receives the SNS notifications
# and prints "MessageId=<id>" of the message it sent.
set -eu

ses() { # ses METHOD PATH [BODY]: one signed SES v2 call
	curl -sS -f --aws-sigv4 "aws:amz:$REGION:ses" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
		-H 'Content-Type: application/json' -X "$1" "$ENDPOINT$2" ${3+-d "$3"}
}

# The configuration set, and an SNS event destination for bounces and complaints.
ses POST /v2/email/configuration-sets '{"ConfigurationSetName":"tracked"}' >/dev/null
ses POST /v2/email/configuration-sets/tracked/event-destinations \
	"{\"EventDestinationName\":\"feedback\",\"EventDestination\":{\"Enabled\":true,\"MatchingEventTypes\":[\"BOUNCE\",\"COMPLAINT\"],\"SnsDestination\":{\"TopicArn\":\"$TOPIC\"}}}" >/dev/null

# The webhook, subscribed without the handshake.
curl -sS -f -X POST "$ENDPOINT/sestest/subscriptions" -d "{\"Endpoint\":\"$WEBHOOK\",\"Confirmed\":true}" >/dev/null

mail='{"FromEmailAddress":"sender@example.com","Destination":{"ToAddresses":["bounce@simulator.amazonses.com"]},'\
'"ConfigurationSetName":"tracked","Content":{"Simple":{"Subject":{"Data":"Hi"},"Body":{"Text":{"Data":"Hello"}}}}}'

# Unsigned requests are refused, as at AWS.
status=$(curl -sS -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' -d "$mail" "$ENDPOINT/v2/email/outbound-emails")
[ "$status" = 403 ] || { echo "unsigned request answered $status, want 403" >&2; exit 1; }

id=$(ses POST /v2/email/outbound-emails "$mail" | sed -n 's/.*"MessageId":"\([^"]*\)".*/\1/p')
[ -n "$id" ] || { echo "no MessageId" >&2; exit 1; }

# The bounce is published at once; the emulator lists what it published.
for _ in 1 2 3 4 5 6 7 8 9 10; do
	if curl -sS -f "$ENDPOINT/sestest/notifications" | grep -q '"Type":"Bounce"'; then
		echo "MessageId=$id"
		exit 0
	fi
	sleep 0.5
done
echo "no bounce was published" >&2
exit 1
