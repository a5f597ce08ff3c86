"""Fit y = Xw + b with autograd and plain gradient descent (the first example of any course)."""
import danlu as torch

torch.manual_seed(0)
true_w = torch.tensor([2.0, -3.4])
true_b = 4.2
X = torch.randn(1000, 2)
y = X @ true_w + true_b + 0.01 * torch.randn(1000)

w = torch.zeros(2, requires_grad=True)
b = torch.zeros(1, requires_grad=True)
lr = 0.1
for epoch in range(50):
    loss = ((X @ w + b - y) ** 2).mean() / 2
    loss.backward()
    with torch.no_grad():
        w -= lr * w.grad
        b -= lr * b.grad
        w.grad = None
        b.grad = None
    if epoch % 10 == 9:
        print(f"epoch {epoch + 1}: loss {loss.item():.6f}")
print("w", w.detach(), "b", b.detach())
