// MQTT 3.1.1 and 5 on Eclipse Paho C's MQTTAsync (Debian's libpaho-mqtt-dev): one client and
// TCP connection per publisher and subscriber, all with clean sessions. Every destination is
// one subscriber of the run's topic, so --fanout N is N subscribers of one topic; more
// consumers than destinations share each destination through `$share/<group>/<topic>`.
// QoS 1/2 publishes are confirmed by PUBACK / PUBCOMP with at most --confirm in flight.
#pragma once

#include "driver.h"

namespace plexus::bench {

std::unique_ptr<driver> make_mqtt_driver(const options& o);

} // namespace plexus::bench
