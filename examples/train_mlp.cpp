// The seed's training: MLP(3, [4, 4, 1]) on four samples, the sum of squared errors, gradient
// descent with step 0.05. Prints Python's numbers (random.seed(42)).
#include <cstdio>
#include <micrograd/nn.hpp>
#include <vector>

int main() {
  using micrograd::MLP;
  using micrograd::Value;
  MLP model(3, {4, 4, 1});  // seed 42
  std::printf("MLP(3, {4, 4, 1}): %zu parameters\n", model.parameters().size());

  const std::vector<std::vector<double>> xs = {
      {2.0, 3.0, -1.0}, {3.0, -1.0, 0.5}, {0.5, 1.0, 1.0}, {1.0, 1.0, -1.0}};
  const std::vector<double> ys = {1.0, -1.0, -1.0, 1.0};  // desired targets

  for (int k = 0; k < 30; ++k) {
    // forward pass
    Value loss(0.0);
    for (std::size_t i = 0; i < xs.size(); ++i) loss = loss + (model(xs[i])[0] - ys[i]).pow(2);
    // backward pass
    for (Value p : model.parameters()) p.grad() = 0.0;
    loss.backward();
    // update
    for (Value p : model.parameters()) p.data() += -0.05 * p.grad();
    std::printf("step %2d loss %.6f\n", k, loss.data());
  }
  std::printf("\nprediction  target\n");
  for (std::size_t i = 0; i < xs.size(); ++i) {
    std::printf("%10.4f  %6.1f\n", model(xs[i])[0].data(), ys[i]);
  }
  return 0;
}
