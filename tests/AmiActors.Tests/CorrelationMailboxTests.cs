using Akka.Actor;
using Akka.Dispatch.MessageQueues;
using AmiActors.Actors;

namespace AmiActors.Tests;

/// <summary>The correlation actors' small queue: first in, first out, through growth and wrap-around, nothing lost.</summary>
public class CorrelationMailboxTests
{
    private static Envelope Message(int i) => new(i, ActorRefs.NoSender);

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(1000)]
    public void Messages_come_out_in_the_order_they_went_in_whatever_the_count(int n)
    {
        var queue = new CorrelationMailbox.SmallQueue();
        Assert.False(queue.HasMessages);
        for (int i = 0; i < n; i++)
        {
            queue.Enqueue(ActorRefs.Nobody, Message(i));
        }
        Assert.True(queue.HasMessages);
        Assert.Equal(n, queue.Count);
        for (int i = 0; i < n; i++)
        {
            Assert.True(queue.TryDequeue(out var envelope));
            Assert.Equal(i, envelope.Message);
        }
        Assert.False(queue.TryDequeue(out _));
        Assert.False(queue.HasMessages);
        Assert.Equal(0, queue.Count);
    }

    [Fact]
    public void Growing_while_the_ring_has_wrapped_around_keeps_the_order()
    {
        var queue = new CorrelationMailbox.SmallQueue();
        int next = 0;
        int expected = 0;
        // Three in, two out, repeatedly: the head walks round the ring while it grows from 4 slots.
        for (int round = 0; round < 50; round++)
        {
            for (int i = 0; i < 3; i++)
            {
                queue.Enqueue(ActorRefs.Nobody, Message(next++));
            }
            for (int i = 0; i < 2; i++)
            {
                Assert.True(queue.TryDequeue(out var envelope));
                Assert.Equal(expected++, envelope.Message);
            }
        }
        Assert.Equal(next - expected, queue.Count);
        while (queue.TryDequeue(out var envelope))
        {
            Assert.Equal(expected++, envelope.Message);
        }
        Assert.Equal(next, expected);
    }

    [Fact]
    public async Task Concurrent_senders_lose_nothing_and_keep_each_senders_order()
    {
        var queue = new CorrelationMailbox.SmallQueue();
        const int Senders = 4;
        const int PerSender = 20_000;
        var senders = Enumerable.Range(0, Senders).Select(s => Task.Run(() =>
        {
            for (int i = 0; i < PerSender; i++)
            {
                queue.Enqueue(ActorRefs.Nobody, Message(s * PerSender + i));
            }
        })).ToArray();
        var last = Enumerable.Repeat(-1, Senders).ToArray();
        int received = 0;
        while (received < Senders * PerSender)
        {
            if (queue.TryDequeue(out var envelope))
            {
                int value = (int)envelope.Message;
                int sender = value / PerSender;
                Assert.True(value > last[sender], $"sender {sender}: {value} after {last[sender]}");
                last[sender] = value;
                received++;
            }
            else
            {
                Assert.False(senders.All(t => t.IsCompleted) && !queue.HasMessages, $"only {received} of {Senders * PerSender} arrived");
            }
        }
        await Task.WhenAll(senders);
        Assert.False(queue.HasMessages);
    }

    [Fact]
    public void Clean_up_hands_what_is_left_to_dead_letters_in_order()
    {
        var queue = new CorrelationMailbox.SmallQueue();
        for (int i = 0; i < 6; i++)
        {
            queue.Enqueue(ActorRefs.Nobody, Message(i));
        }
        Assert.True(queue.TryDequeue(out _));
        var deadLetters = new UnboundedMessageQueue();

        queue.CleanUp(ActorRefs.Nobody, deadLetters);

        Assert.False(queue.HasMessages);
        var left = new List<object>();
        while (deadLetters.TryDequeue(out var envelope))
        {
            left.Add(envelope.Message);
        }
        Assert.Equal(new object[] { 1, 2, 3, 4, 5 }, left);
    }
}
