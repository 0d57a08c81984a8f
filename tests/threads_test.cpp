// Independent graphs on different threads at once: 8 models trained on 8 threads give results
// bit-identical to training them one after another (and ThreadSanitizer finds no race).
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "micrograd/nn.hpp"

using micrograd::MLP;
using micrograd::Value;

namespace {

constexpr int kModels = 8;

// The seed's training loop for `steps` steps from `seed`; returns the final parameters and loss.
std::vector<double> train(std::uint64_t seed, int steps) {
  const std::vector<std::vector<double>> xs = {
      {2.0, 3.0, -1.0}, {3.0, -1.0, 0.5}, {0.5, 1.0, 1.0}, {1.0, 1.0, -1.0}};
  const std::vector<double> ys = {1.0, -1.0, -1.0, 1.0};
  MLP model(3, {4, 4, 1}, seed);
  double last = 0.0;
  for (int k = 0; k < steps; ++k) {
    Value loss(0.0);
    for (std::size_t i = 0; i < xs.size(); ++i) loss = loss + (model(xs[i])[0] - ys[i]).pow(2);
    model.zero_grad();
    loss.backward();
    for (Value p : model.parameters()) p.data() += -0.05 * p.grad();
    last = loss.data();
  }
  std::vector<double> out;
  for (const Value& p : model.parameters()) out.push_back(p.data());
  out.push_back(last);
  return out;
}

int steps() {
#if defined(__SANITIZE_THREAD__)
  return 300;  // ThreadSanitizer is ~10x slower; races show in the first steps anyway
#else
  return 1000;
#endif
}

}  // namespace

TEST(Threads, EightModelsOnEightThreadsMatchSequentialTraining) {
  std::vector<std::vector<double>> sequential;
  for (int m = 0; m < kModels; ++m) sequential.push_back(train(100 + m, steps()));

  std::vector<std::vector<double>> parallel(kModels);
  std::vector<std::thread> threads;
  for (int m = 0; m < kModels; ++m) {
    threads.emplace_back([m, &parallel] { parallel[m] = train(100 + m, steps()); });
  }
  for (std::thread& t : threads) t.join();

  for (int m = 0; m < kModels; ++m) {
    ASSERT_EQ(parallel[m].size(), 42u);
    for (std::size_t i = 0; i < parallel[m].size(); ++i) {
      EXPECT_EQ(parallel[m][i], sequential[m][i]) << "model " << m << ", value " << i;
    }
  }
}

TEST(Threads, AGraphMayMoveToAnotherThreadAndDieThere) {
  // Nodes built on one thread, differentiated and freed on another (after a join): the pool
  // takes them back on the freeing thread.
  Value x(0.5);
  Value y = x;
  std::thread builder([&] {
    for (int i = 0; i < 10000; ++i) y = (y * 1.01).tanh();
  });
  builder.join();
  std::thread user([&] {
    y.backward();
    y = Value(0.0);  // frees the chain on this thread
  });
  user.join();
  const double first = x.grad();
  EXPECT_GT(first, 0.0);
  // This thread keeps working with its own pool and whatever ended threads handed back.
  Value z = x;
  for (int i = 0; i < 10000; ++i) z = z * 1.0;
  z.backward();
  EXPECT_EQ(x.grad(), first + 1.0);
}

TEST(Threads, FreeingOnAnotherThreadWhileTheOwnerAllocates) {
  // Graphs built here are freed by a second thread while this thread keeps building: the
  // nodes go back through their chunks' remote lists, which this thread takes back later.
  for (int round = 0; round < 20; ++round) {
    auto graph = std::make_unique<Value>(0.5);  // shares no node with this thread's graphs
    for (int i = 0; i < 5000; ++i) *graph = (*graph * 0.9 + 0.01).tanh();
    Value x(0.5);
    std::thread freer([g = std::move(graph)]() mutable { g.reset(); });
    Value y = x;
    for (int i = 0; i < 5000; ++i) y = y * 1.0 + 0.0;
    y.backward();
    freer.join();
    EXPECT_EQ(x.grad(), 1.0);
  }
  const std::size_t before = micrograd::detail::pool_bytes();
  {  // the remote frees are reused: building the same graphs again takes no new chunk
    Value x(0.5);
    Value y = x;
    for (int i = 0; i < 10000; ++i) y = (y * 0.9 + 0.01).tanh();
  }
  EXPECT_EQ(micrograd::detail::pool_bytes(), before);
}
