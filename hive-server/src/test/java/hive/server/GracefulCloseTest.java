package hive.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import hive.server.TestServer.Reply;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** {@link HiveServer#close()}: waits in progress end first, with the answer a wait that ends empty gets. */
class GracefulCloseTest extends ApiTest {

    private static final Duration PROMPTLY = Duration.ofSeconds(10);

    @Test
    void aWaitingClaimIsAnsweredNoContentOnClose() throws Exception {
        String swarmId = createSwarm("{'name': 's', 'tasks': [{'id': 'a'}, {'id': 'b', 'depends_on': ['a']}]}");
        register("w1");
        register("w2");
        claim("w1", swarmId);
        CompletableFuture<Reply> waiting = claimWaiting("w2", swarmId, 60);
        assertThat(waiting).as("nothing to claim yet").isNotDone();

        long closing = System.nanoTime();
        server.close();
        Reply reply = waiting.get(PROMPTLY.toSeconds(), TimeUnit.SECONDS);

        reply.expect(204);
        assertThat(Duration.ofNanos(System.nanoTime() - closing)).isLessThan(PROMPTLY);
    }

    @Test
    void aWaitingLockRequestIsRefusedOnClose() throws Exception {
        api.post("/api/locks/acquire", json("{'agent_id': 'a1', 'paths': ['x']}")).expect(200);
        CompletableFuture<Reply> waiting = api.postAsync("/api/locks/acquire",
                json("{'agent_id': 'a2', 'paths': ['x'], 'wait_s': 60}"));
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(api.get("/api/stats").expect(200).json().get("locks").get("waiting").asInt()).isEqualTo(1));

        long closing = System.nanoTime();
        server.close();
        Reply reply = waiting.get(PROMPTLY.toSeconds(), TimeUnit.SECONDS);

        reply.problem(409);
        assertThat(reply.json().get("granted").asBoolean()).isFalse();
        assertThat(Duration.ofNanos(System.nanoTime() - closing)).isLessThan(PROMPTLY);
    }

    @Test
    void anOpenEventStreamEndsOnClose() {
        String swarmId = createSwarm("{'name': 's', 'tasks': [{'id': 'a'}]}");
        try (EventReader stream = EventReader.open(api, "/api/swarms/" + swarmId + "/events")) {
            assertThat(stream.next().type()).isEqualTo("swarm_created");

            long closing = System.nanoTime();
            server.close();

            assertThat(Duration.ofNanos(System.nanoTime() - closing)).isLessThan(PROMPTLY);
        }
    }
}
