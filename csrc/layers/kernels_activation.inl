// Shared activation bodies, included by kernels.cpp (portable) and kernels_avx2.cpp (with
// RT_KERNEL_TARGET = the avx2,fma target attribute) inside an anonymous namespace, so that
// each translation unit gets its own copy compiled for its own instruction set.
#ifndef RT_KERNEL_TARGET
#error "define RT_KERNEL_TARGET before including kernels_activation.inl"
#endif

// tanh as a [13/6] rational function on [-7.905, 7.905] (saturating beyond), the form used
// by Eigen's fast tanh: branch-free, so the loops below vectorise; max abs error ~1e-7.
RT_KERNEL_TARGET inline float tanh_rational(float x) {
  const float kClamp = 7.90531110763549805f;
  x = x > kClamp ? kClamp : x;
  x = x < -kClamp ? -kClamp : x;
  const float x2 = x * x;
  float p = -2.76076847742355e-16f;
  p = p * x2 + 2.00018790482477e-13f;
  p = p * x2 + -8.60467152213735e-11f;
  p = p * x2 + 5.12229709037114e-08f;
  p = p * x2 + 1.48572235717979e-05f;
  p = p * x2 + 6.37261928875436e-04f;
  p = p * x2 + 4.89352455891786e-03f;
  p = p * x;
  float q = 1.19825839466702e-06f;
  q = q * x2 + 1.18534705686654e-04f;
  q = q * x2 + 2.26843463243900e-03f;
  q = q * x2 + 4.89352518554385e-03f;
  return p / q;
}

RT_KERNEL_TARGET inline void tanh_loop(float* __restrict x, int n) {
  for (int i = 0; i < n; ++i) x[i] = tanh_rational(x[i]);
}

RT_KERNEL_TARGET inline void sigmoid_loop(float* __restrict x, int n) {
  for (int i = 0; i < n; ++i) x[i] = 0.5f + 0.5f * tanh_rational(0.5f * x[i]);
}
