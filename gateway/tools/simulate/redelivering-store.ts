/**
 * An mqtt.js outgoing store that sets DUP on redelivered PUBLISH packets. MQTT-3.3.1-1 requires DUP=1 when a
 * client re-sends a PUBLISH, and the gateway deduplicates only such redeliveries; mqtt.js re-sends its in-flight
 * QoS 1 messages after a reconnect with DUP=0, which the gateway must store as new messages. With this store a
 * publisher of ours (simulate, demo, tests) gets exactly-once storage across a lost PUBACK, as Paho clients do.
 * Use: `const store = new RedeliveringStore(); store.track(mqtt.connect(url, { outgoingStore: store }))`.
 */
import { Store, type MqttClient } from 'mqtt';
import type { Packet } from 'mqtt-packet';

type Stored = Packet & { messageId?: number; dup?: boolean };

export class RedeliveringStore extends Store {
  readonly #inflight = new Map<number, Stored>();
  /** Packet ids whose current packet was written to a socket (mqtt.js stores a clone of what it writes). */
  readonly #sent = new Set<number>();

  /** Watch what the client actually wrote: a packet stored while offline is a first delivery, not a re-send. */
  track(client: MqttClient): MqttClient {
    client.on('packetsend', (packet) => {
      if (packet.cmd === 'publish' && packet.messageId !== undefined) this.#sent.add(packet.messageId);
    });
    return client;
  }

  override put(packet: Packet, cb: Parameters<Store['put']>[1]): this {
    const id = (packet as Stored).messageId;
    if (id !== undefined) {
      this.#inflight.set(id, packet as Stored);
      this.#sent.delete(id); // a new message under a reused id: not sent yet
    }
    return super.put(packet, cb);
  }

  override del(packet: Pick<Packet, 'messageId'>, cb: Parameters<Store['del']>[1]): this {
    if (packet.messageId !== undefined) {
      this.#inflight.delete(packet.messageId);
      this.#sent.delete(packet.messageId);
    }
    return super.del(packet, cb);
  }

  /** Called by mqtt.js on every CONNACK to re-send what is in flight. */
  override createStream(): ReturnType<Store['createStream']> {
    for (const [id, packet] of this.#inflight) {
      if (packet.cmd === 'publish' && this.#sent.has(id)) packet.dup = true;
    }
    return super.createStream();
  }
}
