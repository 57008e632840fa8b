#!/bin/sh
# vidproc's own broker user on RabbitMQ (Amazon MQ offers no API for RabbitMQ users: its management
# API does it), made or updated with the admin's credentials; safe to run again. The user and
# password are the secret's current ones, so after a rotation the next run sets the new password.
set -eu
if [ -z "${MQ_ADMIN_USER:-}" ]; then
  echo "no broker admin secret: no broker user made"
  exit 0
fi
api="${MQ_MANAGEMENT_URL%/}/api"
user="$(printf '%s' "$MQ_APP_USER" | sed 's/%/%25/g; s/ /%20/g; s/\//%2F/g')"
put() { # path body
  printf '%s' "$2" | curl --fail-with-body -sS --retry 5 --retry-all-errors --max-time 20 -X PUT \
    -K /dev/fd/3 -H 'content-type: application/json' --data-binary @- "$api/$1" 3<<CFG
user = "$MQ_ADMIN_USER:$MQ_ADMIN_PASSWORD"
CFG
}
# The generated passwords are URL- and JSON-safe (letters, digits, - _ . ~).
put "users/$user" "{\"password\":\"$MQ_APP_PASSWORD\",\"tags\":\"\"}"
put "permissions/%2F/$user" "$(cat /etc/vidproc/bootstrap/broker-permissions.json)"
echo "broker user $MQ_APP_USER ready"
