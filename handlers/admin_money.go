package handlers

import "github.com/gin-gonic/gin"

// One order's page and what a person does to it: refund, query Alipay now,
// ship; what needs a person and its resolution: to be written.

func (s *Server) adminOrder(c *gin.Context)       { s.fail(c, errNoMethod) }
func (s *Server) adminRefund(c *gin.Context)      { s.fail(c, errNoMethod) }
func (s *Server) adminRefundRetry(c *gin.Context) { s.fail(c, errNoMethod) }
func (s *Server) adminQuery(c *gin.Context)       { s.fail(c, errNoMethod) }
func (s *Server) adminShip(c *gin.Context)        { s.fail(c, errNoMethod) }
func (s *Server) adminReviews(c *gin.Context)     { s.fail(c, errNoMethod) }
func (s *Server) adminResolve(c *gin.Context)     { s.fail(c, errNoMethod) }
